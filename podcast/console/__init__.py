"""The console: what typer_app.py needs besides Typer itself.

Opening the show for a command, turning errors into one stderr line and an exit code,
progress bars on a terminal, and each command's human-readable output. The library below
never prints; this is the only layer that does, and typer_app.py is its only user.
"""
