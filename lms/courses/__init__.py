"""Courses and their lessons: language-independent identities with texts and versions per language."""
