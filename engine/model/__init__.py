"""The fix model: tokenizer, network, weights."""
