"""Use cases: one each, inside the caller's transaction; handlers parse and answer, a
service does the work with rules and storage (issue 11 §1). No platform, no feature
module, no reply text here."""
