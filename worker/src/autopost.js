document.getElementById('autopost').submit()
