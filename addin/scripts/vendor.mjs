// Copies the browser builds of MSAL.js that the task pane loads from node_modules into vendor/.
// The copies are committed, so running the add-in needs no bundler and no npm; `--check` (CI) fails
// when they differ from the version pinned in package-lock.json.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const msal = join(root, "node_modules", "@azure", "msal-browser");
const files = [
  ["lib/msal-browser.min.js", "msal-browser.min.js"],
  ["lib/redirect-bridge/msal-redirect-bridge.min.js", "msal-redirect-bridge.min.js"],
  ["LICENSE", "msal-browser.LICENSE.txt"],
];
const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(join(root, "vendor"), { recursive: true });
for (const [from, to] of files) {
  const wanted = readFileSync(join(msal, from));
  const target = join(root, "vendor", to);
  let current = null;
  try { current = readFileSync(target); } catch { current = null; }
  if (current !== null && current.equals(wanted)) continue;
  if (check) { console.error(`vendor/${to} differs from @azure/msal-browser/${from}`); stale += 1; }
  else { writeFileSync(target, wanted); console.log(`vendor/${to} <- @azure/msal-browser/${from}`); }
}
if (stale) { console.error("run `npm run vendor` in addin/ and commit vendor/"); process.exit(1); }
