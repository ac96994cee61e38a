"""The Fardap dashboard and the officers' inbox: the Streamlit app, data access by role, users."""
