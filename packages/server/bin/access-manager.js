#!/usr/bin/env node
// A plain file outside dist/, so that installing the workspace links it before the first build.
import { exitOnOutputError, main } from '../dist/cli.js';

// A closed pipe on either output ends the command quietly, not with a stack trace.
process.stdout.on('error', exitOnOutputError);
process.stderr.on('error', exitOnOutputError);
process.exitCode = main(process.argv.slice(2));
