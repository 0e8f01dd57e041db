"""Casework under the 2024 women's support law (issue 19, part A): urgency
assessments, support plans that a supervisor approves, and case closures
that wait for a supervisor's approval. The models are registered with the
consultations app (imported at the end of consultations/models.py)."""
