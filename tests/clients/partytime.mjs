// Parse a feed with the Podcast Index's own parser and print the result as JSON.
//   node tests/clients/partytime.mjs feed.xml
import { readFileSync } from "node:fs";
import { parseFeed } from "podcast-partytime";

const xml = readFileSync(process.argv[2], "utf8");
const feed = parseFeed(xml, { allowMissingGuid: false });
if (!feed) {
  console.error("partytime: not a feed");
  process.exit(1);
}
process.stdout.write(JSON.stringify(feed, (key, value) => (value instanceof Date ? value.toISOString() : value), 2));
