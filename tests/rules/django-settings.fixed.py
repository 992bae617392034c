# Test cases for bot/analyzers/rules/django-settings.yml, in semgrep's test format
# (`semgrep test`): an annotation names the rule that must, or must not, flag the line below it.
import os

# ruleid: django-debug-enabled
DEBUG = False
# ok: django-debug-enabled
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
