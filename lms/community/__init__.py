"""Community voice: residents ask officers (Tanya Petugas), FAQs under lessons, and private concern reports."""
