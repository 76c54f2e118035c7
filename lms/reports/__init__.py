"""Officers' reports: counts and completion rates rolled up over the regions their office covers."""
