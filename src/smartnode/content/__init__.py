"""Content: announcements (Note/Article), and later events, open calls and applications.

AS2 conversion is pure (`notes_to_ap`, `notes_from_ap`, `audience`); services take the
caller's session and never commit (`announcements`, `remote`, `reactions`).
"""
