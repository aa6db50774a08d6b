"""Streamlit pages and widgets. The only package (with app.py) that imports streamlit."""
