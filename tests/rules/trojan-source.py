# Test cases for bot/analyzers/rules/trojan-source.yml, in semgrep's test format
# (`semgrep test`): an annotation names the rule that must, or must not, flag the line below it.


def is_admin(access_level):
    # ruleid: trojan-source-bidi
    if access_level != "user‮ ⁦# Check if admin⁩ ⁦":
        return True
    # ok: trojan-source-bidi
    label = "user \u202e escaped"
    # ok: trojan-source-bidi
    greeting = "שלום"
    return label, greeting
