"""The hostile-submission corpus (see cases.py) and the threat table rendered from it."""
