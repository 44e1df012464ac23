"""Small helpers every layer may use: files written atomically, student text made safe,
and where the repository is. Imports nothing else from the kit."""
