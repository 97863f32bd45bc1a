#!/usr/bin/env node
// Runs the Khronos glTF-Validator on .glb / .gltf files (external buffers are read relative to the file).
//
//   node tests/tools/gltf_validate.mjs [--fail-on-warnings] FILE...
//
// Prints one JSON summary line per file ({file, errors, warnings, infos, hints, messages}; messages
// lists the errors and warnings). Exit status: 0 if every file is valid, 1 if any has an error (or a
// warning, with --fail-on-warnings), 2 if a file cannot be read or the validator cannot parse it.
// Install the validator first: npm ci --prefix tests/tools
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const validator = require('gltf-validator');

const SEVERITY_NAMES = ['error', 'warning', 'info', 'hint'];

async function validate(file) {
  const bytes = await readFile(file);
  const report = await validator.validateBytes(new Uint8Array(bytes), {
    uri: path.basename(file),
    maxIssues: 1000,
    externalResourceFunction: (uri) => readFile(path.resolve(path.dirname(file), decodeURIComponent(uri)))
      .then((data) => new Uint8Array(data)),
  });
  const issues = report.issues;
  return {
    file,
    validatorVersion: report.validatorVersion,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    infos: issues.numInfos,
    hints: issues.numHints,
    messages: issues.messages
      .filter((m) => m.severity <= 1)
      .map((m) => ({ severity: SEVERITY_NAMES[m.severity], code: m.code, message: m.message, pointer: m.pointer })),
  };
}

const args = process.argv.slice(2);
const failOnWarnings = args.includes('--fail-on-warnings');
const files = args.filter((a) => a !== '--fail-on-warnings');
if (files.length === 0) {
  console.error('usage: node gltf_validate.mjs [--fail-on-warnings] FILE...');
  process.exit(2);
}

let status = 0;
for (const file of files) {
  try {
    const summary = await validate(file);
    console.log(JSON.stringify(summary));
    if (summary.errors > 0 || (failOnWarnings && summary.warnings > 0)) status = Math.max(status, 1);
  } catch (error) {
    console.log(JSON.stringify({ file, failure: String(error) }));
    status = 2;
  }
}
process.exit(status);
