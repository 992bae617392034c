"""Training the fix model (data from the training command, the loop here)."""
