"""Each command's human-readable output, from the same data its ``--json`` prints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.console.session import hint_once

if TYPE_CHECKING:
    from podcast.importing.run import ImportReport
    from podcast.publishing.publish import PublishReport
    from podcast.publishing.review import ReviewReport
    from podcast.publishing.takedown import TakedownReport
    from podcast.safeguarding.listen_back import ListenBack
    from podcast.validate.findings import Finding


def init_text(created: list[Path], *, base_url_given: bool) -> str:
    lines = [f"created {p}" for p in created]
    if not base_url_given:
        lines.append(
            "next: the show has an example address: set [publish] base_url in podcast.toml to the public "
            "address that will serve the feed, and [show] guid to the value `podcast validate` then prints "
            "(or start again in an empty folder with `podcast init --base-url https://...`)"
        )
    lines.append(
        "next: point [safeguarding] redactions at your private list of real names, replace artwork.jpg, "
        "fill in owner and support_notice, then `podcast new SLUG --audio FILE`"
    )
    return "\n".join(lines)


def build_text(results: list[dict[str, Any]], failures: list[str]) -> str:
    lines = [describe_build(r) for r in results]
    if failures:
        lines.append(f"{len(failures)} episode(s) failed: {', '.join(failures)}")
    return "\n".join(lines)


def describe_build(result: dict[str, Any]) -> str:
    loud = result["loudness"]
    before, after = loud["before"], loud["after"]
    if result["audio_rebuilt"] and loud.get("passed_through"):
        action = "built, audio kept as it is (already at target: only the tags are new)"
    elif result["audio_rebuilt"]:
        action = "built"
    elif result["tags_rewritten"]:
        action = "retagged (audio up to date)"
    else:
        action = "up to date, no audio work"
    return (
        f"{result['slug']}: {action} — {before['integrated_lufs']:.1f} LUFS -> {after['integrated_lufs']:.1f} LUFS, "
        f"true peak {before['true_peak_dbtp']:.1f} -> {after['true_peak_dbtp']:.1f} dBTP, "
        f"range {before['range_lu']:.1f} -> {after['range_lu']:.1f} LU, "
        f"{result['duration_s']:.1f} s, {result['size_bytes'] / 1e6:.2f} MB"
        + alternates_text(result.get("alternates") or [])
        + listen_back_counts_text(result["slug"], result.get("listen_back"))
        + ("".join(f"\n  {line}" for line in audio_detail_lines(result)) if result["audio_rebuilt"] else "")
    )


def alternates_text(alternates: list[dict[str, Any]]) -> str:
    """``; opus-24k-mono -16.0 LUFS / -2.1 dBTP 0.09 MB, ...``: each alternate measured on its own file."""
    return "".join(
        f"; {a['name']} {a['loudness']['integrated_lufs']:.1f} LUFS / {a['loudness']['true_peak_dbtp']:.1f} dBTP "
        f"{a['size_bytes'] / 1e6:.2f} MB"
        for a in alternates
    )


def audio_detail_lines(result: dict[str, Any]) -> list[str]:
    """What the audio step did, under a rebuilt episode's line: the limiter, each part, the picture."""
    loud = result["loudness"]
    lines = []
    limiter = loud.get("limiter") or {}
    if limiter.get("used"):
        lines.append(
            f"limiter: up to {limiter['max_reduction_db']:.1f} dB of gain reduction, "
            f"{limiter['over_3db_s']:.1f} s over 3 dB" + (" (working hard)" if limiter.get("worked_hard") else "")
        )
    elif limiter:
        lines.append("limiter: not needed")
    parts = loud.get("parts") or []
    for part in parts if len(parts) > 1 else []:
        lines.append(
            f"{part['file']} ({part['kind']}, target {part['target_lufs']:.1f}): "
            f"{part['before_lufs']:.1f} -> {part['after_lufs']:.1f} LUFS"
        )
    for track in loud.get("tracks") or []:
        lines.append(
            f"{track['file']} ({track['speaker']}, gain {track['gain_db']:+.1f} dB in the mix): "
            f"{track['before_lufs']:.1f} -> {track['after_lufs']:.1f} LUFS"
        )
    if loud.get("picture"):
        lines.append(f"picture: build/{result['slug']}/{loud['picture']}")
    return lines


def listen_back_counts_text(slug: str, counts: dict[str, int] | None) -> str:
    """The listen-back count after an episode's line (the full list: `podcast bleeps SLUG`)."""
    if not counts:
        return ""
    return f"; listen back: {counts['hidden']} hidden, {counts['near_misses']} near miss(es)" + (
        f" (`podcast bleeps {slug}`)" if counts["hidden"] or counts["near_misses"] else ""
    )


def bleeps_text(listing: ListenBack) -> str:
    from podcast.safeguarding.listen_back import render_listen_back

    return render_listen_back(listing)


def redactions_text(used: dict[str, Any]) -> str:
    """Which redaction list a command used: its path and count, never a name."""
    if not used.get("path") and not used.get("names"):
        return "redaction list: none configured"
    from podcast.show.redactions import count_names

    line = f"redaction list: {used['path']} ({count_names(used['names'])})"
    if used.get("changed"):
        line += f" — changed since the last publish to this target ({count_names(used['previous_names'])} then)"
    return line


def incomplete_dry_run_text(report: PublishReport) -> str:
    return (
        f"{report.target}: the dry run could not check everything: {', '.join(report.unchecked)} went out under "
        "another redaction list and are not rebuilt in this run — run `podcast publish --dry-run` without slugs "
        "to check every episode against this list"
    )


def publish_text(report: PublishReport, dry_run: bool) -> str:
    verb = "would upload" if dry_run else "uploaded"
    lines = [redactions_text(report.redactions)]
    lines += [f"{b['slug']}: {b['action']}" for b in report.built]
    lines += [
        f"{item['slug']}: {listen_back_counts_text(item['slug'], item).removeprefix('; ')}"
        for item in report.listen_back
    ]
    if dry_run:  # the plan, object by object; a real publish says it per episode below
        lines += [f"{verb} {u['key']} ({u['bytes']:,} bytes)" for u in report.uploaded]
        lines += [f"{verb} {key} (website)" for key in report.pages_uploaded]
        lines += [f"would delete {key}" for key in report.deleted]
    elif report.pages_uploaded:
        lines.append(f"website: {len(report.pages_uploaded)} file(s) uploaded, {report.pages_unchanged} unchanged")
    lines += summary_lines(report.summary, dry_run)
    said: set[str] = set()  # "not in the feed" once, not once per held episode (hint_once)
    lines += [
        hint_once(f"{e['slug']}: embargoed until {release_words(e['until'])} — not in the feed, nothing uploaded", said)
        for e in report.embargoed
    ]
    lines += [hint_once(f"{slug}: withdrawn — kept out of the feed", said) for slug in report.withdrawn]
    feed_state = ("would update" if dry_run else "updated") if report.feed_changed else "unchanged"
    if report.cdn_invalidation:
        lines.append(f"CloudFront invalidation {report.cdn_invalidation} requested for the feed")
    lines.append(
        f"feed {feed_state}: {report.feed_url} — {len(report.episodes)} episode(s), "
        f"{len(report.uploaded)} object(s) {verb} ({report.uploaded_bytes:,} bytes), {report.unchanged} unchanged"
    )
    if report.show_guid_written:
        lines.append(
            f'podcast.toml: wrote [show] guid = "{report.show_guid_written}" (podcast:guid, the UUIDv5 of '
            f"{report.feed_url}); commit it — it never changes, even if the feed moves"
        )
    lines += notifications_text(report.notifications)
    return "\n".join(lines)


def notifications_text(notifications: list[dict[str, Any]]) -> list[str]:
    """One line per endpoint told of the new feed (failures are also logged as warnings)."""
    return [
        f"told {n['kind']} {n['endpoint']}" + ("" if n["ok"] else f": FAILED ({n['error']})") for n in notifications
    ]


_SUMMARY_VERBS = {
    "added": ("added", "would add"),
    "changed": ("changed", "would change"),
    "removed": ("removed", "would remove"),
}


def summary_lines(summary: list[dict[str, Any]], dry_run: bool) -> list[str]:
    """Each episode a publish added, changed (and what) or removed, by title; the unchanged counted."""
    lines = []
    for row in summary:
        if row["change"] == "unchanged":
            continue
        verb = _SUMMARY_VERBS[row["change"]][dry_run]
        number = f", #{row['number']}" if row["number"] is not None else ""
        what = f": {', '.join(row['what'])}" if row["what"] else ""
        lines.append(f"{verb}: '{row['title']}' ({row['slug']}{number}){what}")
    unchanged = sum(row["change"] == "unchanged" for row in summary)
    if unchanged:
        lines.append(f"unchanged: {unchanged} episode(s)")
    return lines


def transcribe_text(path: Path, cues: int, words: int, listed: bool) -> str:
    note = (
        f'added transcript = "{path.name}" to episode.toml'
        if listed
        else "episode.toml already names a transcript: point it at this file to publish it"
    )
    return f"wrote {path} ({cues} cues, {words} words) — {note}; check it before publishing"


def release_words(when: str) -> str:
    """An ISO release time as status prints it.

    >>> release_words("2026-12-02T19:29:00+00:00")
    'Wed 2 Dec 2026 19:29 UTC'
    """
    from datetime import UTC

    return datetime.fromisoformat(when).astimezone(UTC).strftime("%a %-d %b %Y %H:%M UTC")


def validate_text(findings: list[Finding], errors: int, warnings: int) -> str:
    """One line a finding; a fix already given for the same rule reads "as above" (each hint printed once)."""
    given: set[tuple[str, str]] = set()
    lines = []
    for f in findings:
        if (f.rule, f.fix) in given:
            lines.append(f"{f.severity}: {f.where}: {f.message} — as above [{f.rule}]")
        else:
            given.add((f.rule, f.fix))
            lines.append(f.render())
    lines.append(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else " — the feed is valid"))
    return "\n".join(lines)


def loudness_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['file']}: {r['integrated_lufs']:.1f} LUFS, range {r['range_lu']:.1f} LU, true peak {r['true_peak_dbtp']:.1f} dBTP"
        for r in rows
    )


def status_text(rows: list[dict[str, Any]]) -> str:
    """One line an episode: slug, number, title, length, build state (and why stale), release."""
    from podcast.timecode import format_duration

    builds = [f"stale ({', '.join(r['stale_because'])})" if r.get("stale_because") else r["build"] for r in rows]
    width = max([9, *map(len, builds)])  # the release column stays lined up when a reason is long
    lines = []
    for r, build in zip(rows, builds, strict=True):
        length = format_duration(r["duration_s"]) if r.get("duration_s") is not None else "-"
        title = r["title"] if len(r["title"]) <= 26 else r["title"][:25] + "…"
        release = r["release"]
        if r.get("release_in"):
            release = f"embargoed until {r['release_utc']} (in {r['release_in']})"
        lines.append(f"{r['slug']:<16} #{r['number']:<3} {title:<26} {length:>8}  {build:<{width}}  {release}")
    return "\n".join(lines) or "no episodes yet — create one with `podcast new SLUG --audio FILE`"


def review_text(report: ReviewReport, *, title: str, now: datetime) -> str:
    """The links, their lifetime in words, and a message the producer can paste into an email as it is."""
    from podcast.timecode import until_text

    until = until_text(datetime.fromisoformat(report.expires_at), now)
    lines = [redactions_text(report.redactions)]
    if report.page:  # one link: the page holds the player, transcript, bleeps and picture (each file: --json)
        lines.append(f"review page: {report.page['url']}")
    else:
        lines += [f"{link['what']}: {link['url']}" for link in report.links]
    if report.listen_back:
        counts = f"{len(report.listen_back['hidden'])} hidden, {len(report.listen_back['near_misses'])} near miss(es)"
        where = "on the review page" if report.page else "in the listen-back link"
        lines.append(f"listen back: {counts} — the list is {where}, for the contributor too")
    lines.append(f"links work {until}; they are private and not in the feed")
    lines += ["", "ready to send (copy everything below this line):", *review_message(report, title=title, until=until)]
    return "\n".join(lines)


_REVIEW_WHAT = {
    "audio": "Listen to the episode",
    "transcript": "Read the transcript",
    "listen-back": "Where a name was hidden (times only)",
    "page": "The review page",
}


def review_message(report: ReviewReport, *, title: str, until: str) -> list[str]:
    """A short, kind message for the contributor: what it is, the links, how long they work, keep it private."""
    lines = [f'Hello, here is a private preview of "{title}" before it is released.']
    if report.page:
        lines.append(
            "On this page you can listen to it, read the transcript and see where names were hidden: "
            + report.page["url"]
        )
        lines.append(f"The link works {until}. Please do not share it: it is only for you.")
    else:
        lines += [
            f"{_REVIEW_WHAT.get(link['what'], link['what'].capitalize())}: {link['url']}" for link in report.links
        ]
        lines.append(f"The links work {until}. Please do not share them: they are only for you.")
    lines.append("If anything should change, reply to this message and we will hold the episode until it is right.")
    return lines


def takedown_text(report: TakedownReport) -> str:
    lines = [f"deleted {key}" for key in report.removed]
    lines.append(f"feed {'updated' if report.feed_updated else 'already without it'}: {report.feed_url}")
    if report.cdn_invalidation:
        lines.append(f"CDN invalidation {report.cdn_invalidation} requested")
    lines.append(f"{report.slug}: withdrawn = true in its episode.toml (commit it); logged in {report.audit_log}")
    if report.reason_withheld_because:
        lines.append(f"the reason was not logged ({report.reason_withheld_because}): add it once the list is back")
    lines += notifications_text(report.notifications)
    return "\n".join(lines)


def import_text(report: ImportReport) -> str:
    """What `podcast import` did (or would do): episodes, what was left out and why, what to check."""
    lines: list[str] = []
    if report.dry_run:
        lines += [
            f"would import {p['slug']} — {p['title'][:60]} ({p['published'][:10]}, guid {p['guid']})"
            for p in report.planned
        ]
        lines.append(f"{len(report.planned)} episode(s) would be imported into {report.folder}; nothing was written")
    else:
        for episode in report.imported:
            extras = [
                f"transcript {episode['transcript']}" if episode["transcript"] else "",
                f"chapters {episode['chapters']}" if episode["chapters"] else "",
            ]
            extra = ", ".join(e for e in extras if e)
            lines.append(
                f"imported {episode['slug']} — {episode['title'][:60]} ({episode['published'][:10]}, "
                f"{episode['bytes']:,} bytes{', ' + extra if extra else ''})"
            )
            if episode["audio_plan"]:
                lines.append(f"  audio: {episode['audio_plan']}")
            lines += [f"  note: {note}" for note in episode["notes"]]
        made = "created" if report.show_created else "synced"
        lines.append(f"{made} {report.folder}: {len(report.imported)} imported, {report.present} already there")
    guid_note = "kept from the feed" if report.podcast_guid_from == "feed" else "computed from the feed's address"
    lines.append(f"podcast:guid {report.podcast_guid} ({guid_note})")
    if report.left_out:
        lines.append(f"{report.left_out} episode(s) left out by --since/--limit")
    if report.duplicates:
        lines.append(
            f"{len(report.duplicates)} item(s) repeat another item's GUID: apps list them once, so were imported once"
        )
    if report.unnamed:
        lines.append(f"{len(report.unnamed)} item(s) have neither a GUID nor audio: left out")
    if report.people_left_out or report.locations_left_out:
        lines.append(
            f"left out {report.people_left_out} podcast:person and {report.locations_left_out} podcast:location "
            "(pass --keep-people to import the people; locations are never imported)"
        )
    for found in report.listed:
        numbers = ", ".join(str(n) for n in found["lines"])
        lines.append(
            f"safeguarding: {found['where']} has names from redaction list line(s) {numbers}: redacted on publish"
        )
    lines += [f"note: {note}" for note in report.notes]
    if report.failed:
        lines.append(f"{len(report.failed)} episode(s) failed (listed below): run the same command again to finish")
    return "\n".join(lines)
