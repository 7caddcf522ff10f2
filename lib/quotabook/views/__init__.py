"""Views: tidy breakdown tables built from catalog metrics (one module per theme), ready for notebooks."""
