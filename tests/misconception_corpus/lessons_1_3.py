"""Planted misconceptions of lessons 1-3: a placeholder until their corpus is merged; see __init__."""

SUBMISSIONS = []
ALTERNATIVES = []
