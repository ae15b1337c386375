// icsync console: two small enhancements; every page works without them.
// 1. Parts marked data-refresh="URL" are fetched again every data-refresh-secs seconds and
//    replaced in place (the status page); a 401 means the session ended: reload to sign in.
// 2. "Test connection" on the connect form is sent in the background, so the token the admin
//    typed stays in its field for "Connect".
(function () {
  'use strict';

  function refresh(region) {
    var url = region.getAttribute('data-refresh');
    var secs = Number(region.getAttribute('data-refresh-secs')) || 5;
    function tick() {
      fetch(url, { credentials: 'same-origin', headers: { 'X-Console-Fragment': '1' } })
        .then(function (response) {
          if (response.status === 401) {
            window.location.reload();
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            region.innerHTML = html;
          }
        })
        .catch(function () { /* the daemon restarts or the network blinks: try again later */ })
        .then(function () { window.setTimeout(tick, secs * 1000); });
    }
    window.setTimeout(tick, secs * 1000);
  }

  function testInBackground(form) {
    form.addEventListener('submit', function (event) {
      var button = event.submitter;
      if (!button || button.value !== 'test') {
        return;
      }
      event.preventDefault();
      var out = document.getElementById('test-result');
      out.textContent = 'Testing the connection…';
      var body = new URLSearchParams(new FormData(form, button));
      // getAttribute: the form's buttons are named "action", which hides form.action.
      fetch(form.getAttribute('action'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-Console-Fragment': '1' },
        body: body
      })
        .then(function (response) {
          if (response.status === 401) {
            window.location.reload();
            return '';
          }
          return response.text();
        })
        .then(function (html) { out.innerHTML = html; })
        .catch(function () {
          out.textContent = 'icsync did not answer: check that the daemon is running, then try again.';
        });
    });
  }

  document.querySelectorAll('[data-refresh]').forEach(refresh);
  var connect = document.getElementById('connect-form');
  if (connect) {
    testInBackground(connect);
  }
})();
