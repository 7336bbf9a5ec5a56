import Foundation
import MeshCore

/// The dashboard's one stylesheet and one script, inlined into every page and allowed by their SHA-256 in the
/// Content-Security-Policy: nothing is fetched from anywhere else, and no other script or style can run.
enum DashboardAssets {
    /// Dark text on light backgrounds (contrast ≥ 7:1 for body text), a visible focus ring, no colour-only meaning.
    static let style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
        header,main{max-width:72rem;margin:0 auto;padding:0 1rem}
        header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:1rem}
        h1{font-size:1.4rem}h2{font-size:1.15rem;margin:0 0 .5rem}
        section{background:#fff;border:1px solid #888;border-radius:6px;padding:1rem;margin:1rem 0}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ccc}
        code{font-size:.85rem;word-break:break-all}
        button{font:inherit;padding:.3rem .8rem;border:2px solid #111;border-radius:4px;background:#fff;color:#111;cursor:pointer}
        button.danger{background:#8b0000;border-color:#8b0000;color:#fff}
        button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #0645ad;outline-offset:2px}
        input[type=text]{font:inherit;padding:.3rem;border:1px solid #444;border-radius:4px;min-width:16rem}
        .state{font-weight:bold}.bad{color:#8b0000}.good{color:#0b5d1e}
        .notice{border-left:6px solid #0645ad;padding:.5rem 1rem;background:#eef3ff}
        .na{color:#444;font-style:italic}
        .figures{display:flex;flex-wrap:wrap;gap:1.5rem}.figures div{min-width:10rem}
        .figures strong{display:block;font-size:1.6rem}
        svg text{font:12px system-ui,sans-serif;fill:#111}
        """

    /// The login page submits the code from the URL's fragment (then removes it from the address bar and the
    /// history); the dashboard reloads its panels when the node's event stream reports a change.
    static let script = """
        "use strict";
        (function () {
          var login = document.getElementById("login-form");
          if (login) {
            var spend = function () {
              var code = location.hash.slice(1);
              if (!code) { return; }
              history.replaceState(null, "", location.pathname);
              if (/^[0-9a-f]{64}$/.test(code)) {
                document.getElementById("code").value = code;
                login.submit();
              }
            };
            window.addEventListener("hashchange", spend);
            spend();
            return;
          }
          var panels = document.getElementById("panels");
          var live = document.getElementById("live");
          if (!panels || !window.EventSource) { return; }
          var busy = false, again = false;
          function refresh() {
            var focused = document.activeElement;
            if (busy || (focused && focused !== document.body && panels.contains(focused))) { again = true; return; }
            busy = true; again = false;
            fetch("/dashboard/panels", { credentials: "same-origin", cache: "no-store" })
              .then(function (r) {
                if (r.status === 401) { location.assign("/dashboard/login"); return null; }
                return r.ok ? r.text() : null;
              })
              .then(function (html) { if (html !== null) { panels.innerHTML = html; } })
              .catch(function () { live.textContent = "Could not reload the panels."; })
              .finally(function () { busy = false; if (again) { refresh(); } });
          }
          panels.addEventListener("focusout", function () { if (again) { setTimeout(refresh, 0); } });
          var source = new EventSource("/dashboard/events");
          source.addEventListener("refresh", function (event) {
            live.textContent = "Updated (" + event.data + ") at " + new Date().toLocaleTimeString() + ".";
            refresh();
          });
          source.addEventListener("open", function () { live.textContent = "Live updates on."; });
          source.addEventListener("error", function () { live.textContent = "Live updates paused; reconnecting."; });
        })();
        """

    static let contentSecurityPolicy =
        "default-src 'none'; script-src '\(hash(script))'; style-src '\(hash(style))'; img-src 'self'; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    private static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256.hash(Array(text.utf8))).base64EncodedString()
    }
}
