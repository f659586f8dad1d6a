#!/usr/bin/env bash
# Runs every test: the README walk-through against a real Herald, then the Maven build with all unit,
# EmbeddedChannel and end-to-end tests (paranoid ByteBuf leak detection; a leak fails the build) and the
# RFC 6455 conformance run (Autobahn|Testsuite), then the JavaScript client's unit, end-to-end and Chromium tests.
# Ends with one line counting every test that ran.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-tools.sh   # what the tests need besides a JDK and Maven, installed when missing
scripts/readme-walkthrough.sh
mvn -B verify "$@"

# The JavaScript client (client-js/): typed, built, and tested against the server jar the build above just made.
(cd client-js && npm ci --no-audit --no-fund && npm run typecheck && npm run build && npm test)

# One closing line over every module's Surefire and Failsafe reports, plus the walk-through.
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
tests = failed = skipped = 0
for f in glob.glob('*/target/surefire-reports/TEST-*.xml') + glob.glob('*/target/failsafe-reports/TEST-*.xml'):
    s = ET.parse(f).getroot()
    tests += int(s.get('tests', 0)); skipped += int(s.get('skipped', 0))
    failed += int(s.get('failures', 0)) + int(s.get('errors', 0))
# node's JUnit reporter (client-js): one <testcase> per test, failures and skips as children
for case in ET.parse('client-js/target/junit.xml').getroot().iter('testcase'):
    tests += 1
    failed += 1 if case.find('failure') is not None or case.find('error') is not None else 0
    skipped += 1 if case.find('skipped') is not None else 0
tests += 1  # the README walk-through, which passed or this script would have stopped
print(f"tests: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
