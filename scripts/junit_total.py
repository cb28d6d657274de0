"""Print one 'N passed, N failed' line over several pytest JUnit XML files."""
import sys
from xml.etree import ElementTree as ET

total = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        failed += 1  # a run that wrote no report did not pass
        continue
    for suite in root.iter("testsuite"):
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
passed = total - failed - skipped
print(f"both databases: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
