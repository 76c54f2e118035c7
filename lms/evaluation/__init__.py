"""Feedback, knowledge gain and the office's programme evaluation."""
