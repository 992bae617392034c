"""`redline`: the command line. One module per command group behind an explicit table in
`bot.cli.main`; each command imports what is heavy only when it runs."""
