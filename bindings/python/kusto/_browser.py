"""How the Python binding shows the interactive sign-in page when no browser_callback is given: with Python's
webbrowser module, which works where there is no terminal (a Jupyter kernel, a GUI app), and the address on
sys.stderr, which a notebook shows. Whether anyone is there to sign in is the core's decision, made before."""
import sys
import threading
import webbrowser


def show_sign_in_page(url):
    print("Sign in to Azure AD in your browser. If none opens, visit:\n" + url, file=sys.stderr, flush=True)
    # webbrowser waits for some browsers to exit (a $BROWSER command, for one), while the page's redirect back
    # is answered only once this returns: so the browser is started from a thread of its own.
    threading.Thread(target=_open, args=(url,), name="kusto-sign-in-browser", daemon=True).start()


def _open(url):
    if not webbrowser.open(url):
        print("(no browser could be started: set $BROWSER, or open the address above yourself)", file=sys.stderr,
              flush=True)
