"""Tests of the gap areas (notebooks 02 to 06)."""
