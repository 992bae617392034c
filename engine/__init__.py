"""Fix proposals: building replacement text for flagged lines and validating it before it is
offered. (Inference backends and speculative edits arrive with the engine issue.)"""
