"""Small torch models that run on the CPU: the bug detector and the code language model."""
