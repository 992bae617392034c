"""The code language model behind the entropy scorer: a small causal transformer mixed with an
n-gram cache over the file and the diff, so repeated edits become predictable."""
