/** The child of the raw process-start baseline: prints one line and exits. */
process.stdout.write('ready\n');
