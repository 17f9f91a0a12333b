"""Planted bugs of lessons 4-6: a placeholder until their corpus is merged (see ``__init__``)."""

SUBMISSIONS = []
ALTERNATIVES = []
