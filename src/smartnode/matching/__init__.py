"""Match-making: the skills taxonomy (ESCO and local skills) and members' matching profiles.

terms.py (vocabulary, folding, DefinedTerm tags; pure) · taxonomy.py (look-ups, local skills) ·
curated.py (the shipped ESCO seed) · esco_csv.py + esco_import.py (the official download) ·
inputs.py + profiles.py (matching profiles).
"""
