"""HTTP in: verify, parse, dedupe, enqueue. Pure parsers (events, verify) and a thin starlette
app (app)."""
