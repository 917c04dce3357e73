#!/usr/bin/env node
// A plain file outside dist/, so that installing the workspace links it before the first build.
import { main } from '../dist/cli.js';

process.exitCode = main(process.argv.slice(2));
