"""How good a job's answers are, against a column of right answers the user already has."""
