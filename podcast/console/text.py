"""Each command's human-readable output, from the same data its ``--json`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podcast.publishing.publish import PublishReport
    from podcast.publishing.review import ReviewReport
    from podcast.publishing.takedown import TakedownReport
    from podcast.safeguarding.listen_back import ListenBack
    from podcast.validate.findings import Finding


def init_text(created: list[Path]) -> str:
    return (
        "\n".join(f"created {p}" for p in created) + "\nnext: edit podcast.toml, then `podcast new SLUG --audio FILE`"
    )


def build_text(results: list[dict[str, Any]], failures: list[str]) -> str:
    lines = [describe_build(r) for r in results]
    if failures:
        lines.append(f"{len(failures)} episode(s) failed: {', '.join(failures)}")
    return "\n".join(lines)


def describe_build(result: dict[str, Any]) -> str:
    loud = result["loudness"]
    before, after = loud["before"], loud["after"]
    if result["audio_rebuilt"]:
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
        + listen_back_counts_text(result["slug"], result.get("listen_back"))
    )


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
    line = f"redaction list: {used['path']} ({used['names']} names)"
    if used.get("changed"):
        line += f" — changed since the last publish to this target ({used['previous_names']} names then)"
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
    lines += [f"{verb} {u['key']} ({u['bytes']:,} bytes)" for u in report.uploaded]
    lines += [f"{verb} {key} (website)" for key in report.pages_uploaded]
    lines += [f"{'would delete' if dry_run else 'deleted'} {key}" for key in report.deleted]
    lines += [
        f"{e['slug']}: embargoed until {e['until']} — not in the feed, nothing uploaded" for e in report.embargoed
    ]
    lines += [f"{slug}: withdrawn — kept out of the feed" for slug in report.withdrawn]
    feed_state = ("would update" if dry_run else "updated") if report.feed_changed else "unchanged"
    if report.cdn_invalidation:
        lines.append(f"CloudFront invalidation {report.cdn_invalidation} requested for the feed")
    lines.append(
        f"feed {feed_state}: {report.feed_url} — {len(report.episodes)} episode(s), "
        f"{len(report.uploaded)} object(s) {verb} ({report.uploaded_bytes:,} bytes), {report.unchanged} unchanged"
    )
    return "\n".join(lines)


def transcribe_text(path: Path, cues: int, words: int, listed: bool) -> str:
    note = (
        f'added transcript = "{path.name}" to episode.toml'
        if listed
        else "episode.toml already names a transcript: point it at this file to publish it"
    )
    return f"wrote {path} ({cues} cues, {words} words) — {note}; check it before publishing"


def validate_text(findings: list[Finding], errors: int, warnings: int) -> str:
    lines = [f.render() for f in findings]
    lines.append(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else " — the feed is valid"))
    return "\n".join(lines)


def loudness_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['file']}: {r['integrated_lufs']:.1f} LUFS, range {r['range_lu']:.1f} LU, true peak {r['true_peak_dbtp']:.1f} dBTP"
        for r in rows
    )


def status_text(rows: list[dict[str, Any]]) -> str:
    text = "\n".join(
        f"{r['slug']:<24} #{r['number']:<4} {r['published'][:16]:<17} {r['build']:<10} {r['release']}" for r in rows
    )
    return text or "no episodes yet — create one with `podcast new SLUG --audio FILE`"


def review_text(report: ReviewReport) -> str:
    lines = [redactions_text(report.redactions)]
    lines += [f"{link['what']}: {link['url']}" for link in report.links]
    if report.page:
        lines.append(f"review page (player, transcript, bleeps): {report.page['url']}")
    if report.listen_back:
        counts = f"{len(report.listen_back['hidden'])} hidden, {len(report.listen_back['near_misses'])} near miss(es)"
        lines.append(f"listen back: {counts} — the list is in the listen-back link, for the contributor too")
    lines.append(f"links work until {report.expires_at}; they are private and not in the feed")
    return "\n".join(lines)


def takedown_text(report: TakedownReport) -> str:
    lines = [f"deleted {key}" for key in report.removed]
    lines.append(f"feed {'updated' if report.feed_updated else 'already without it'}: {report.feed_url}")
    if report.cdn_invalidation:
        lines.append(f"CDN invalidation {report.cdn_invalidation} requested")
    lines.append(f"{report.slug}: withdrawn = true in its episode.toml (commit it); logged in {report.audit_log}")
    if report.reason_withheld_because:
        lines.append(f"the reason was not logged ({report.reason_withheld_because}): add it once the list is back")
    return "\n".join(lines)
