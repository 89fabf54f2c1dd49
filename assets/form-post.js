// Submits the form_post response at once (OAuth 2.0 Form Post Response Mode).
document.getElementById('form-post').submit();
