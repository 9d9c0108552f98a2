"""`udfi serve`: the investor's local web page — check a year, plan a purchase.

The app is built by `udfi.web.app.create_app(WebConfig(...))`; this package's own import stays light
so the command line does not load the web framework for other commands.
"""
