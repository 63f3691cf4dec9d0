#!/usr/bin/env node
// Parses every .tf file under the given directories with HashiCorp's HCL
// parser (@cdktf/hcl2json: the Go hcl library compiled to WebAssembly) and
// prints {"<path>": <file as JSON>} on stdout. A syntax error names the file
// and the position and exits 1. Used by tests/offline-checks.
"use strict";
const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");

function tfFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue; // .terraform, .build
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tfFiles(full));
    else if (entry.name.endsWith(".tf") || entry.name.endsWith(".tfvars")) out.push(full);
  }
  return out.sort();
}

async function main() {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error("usage: hcl-parse.js DIR...");
    process.exit(2);
  }
  const result = {};
  let failed = 0;
  for (const file of dirs.flatMap(tfFiles)) {
    try {
      result[file] = await parse(file, fs.readFileSync(file, "utf8"));
    } catch (e) {
      failed += 1;
      console.error(`${file}: ${String(e.message || e).trim()}`);
    }
  }
  process.stdout.write(JSON.stringify(result));
  if (failed > 0) {
    console.error(`${failed} file(s) do not parse`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
