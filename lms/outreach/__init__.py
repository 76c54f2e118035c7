"""Outreach sessions (penyuluhan) in villages: scheduling, attendance from the roster or by QR check-in."""
