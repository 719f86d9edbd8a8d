// The hosted page of a mail's link. The token is in the URL fragment, which
// browsers never send to a server; the page drops it from the address bar and
// spends it only when the user submits the form (a mail scanner that opens the
// link spends nothing).
"use strict";

(function () {
  const form = document.getElementById("form");
  const status = document.getElementById("status");
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  history.replaceState(null, "", location.pathname + location.search);

  function say(text, kind) {
    status.textContent = text;
    status.className = kind;
  }

  if (!token) {
    say("This link is incomplete. Open the link from the mail again, or ask for a new mail.", "error");
    return;
  }
  form.hidden = false;

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = { token: token };
    const password = document.getElementById("new_password");
    if (password) {
      if (password.value !== document.getElementById("confirm_password").value) {
        say("The two passwords differ.", "error");
        return;
      }
      body.new_password = password.value;
    }
    const button = document.getElementById("submit");
    button.disabled = true;
    say("Sending…", "");
    try {
      const res = await fetch(form.dataset.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, application/problem+json" },
        body: JSON.stringify(body),
      });
      if (res.ok) {
        form.hidden = true;
        say(form.dataset.done, "ok");
        return;
      }
      const problem = await res.json().catch(function () { return {}; });
      say(problem.detail || problem.title || "The request failed (" + res.status + ").", "error");
      // A weak password can be fixed here; a spent or expired token cannot.
      if (problem.code === "TOKEN_INVALID") {
        for (const input of form.querySelectorAll("input")) input.disabled = true;
      } else {
        button.disabled = false;
      }
    } catch (e) {
      say("The service could not be reached; try again.", "error");
      button.disabled = false;
    }
  });
})();
