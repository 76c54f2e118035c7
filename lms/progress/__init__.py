"""What each learner has done: lessons read, video positions."""
