"""The form's own CSS and the scripts behind the Copy buttons and the link
to a question."""

from __future__ import annotations

CSS = """
.ictqa-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 10px 0; background: #fff; color: #1f2328;}
.ictqa-crumb {color: #57606a; font-size: 0.85em; margin-bottom: 6px;}
.ictqa-passage {white-space: pre-wrap; line-height: 1.7;}
.ictqa-card mark.ictqa-hl {background: #fff3a3; padding: 0 1px; color: inherit;}
.ictqa-card strong.ictqa-answer {font-weight: 700; text-decoration: underline; text-decoration-color: #d4a72c; text-underline-offset: 3px;}
.ictqa-card mark.ictqa-term {background: none; color: inherit; border-bottom: 2px dotted #0969da; cursor: help; padding: 0;}
.ictqa-legend {color: #57606a; font-size: 0.85em; margin-top: 6px;}
.ictqa-legend mark.ictqa-term {cursor: default;}
.ictqa-figure {line-height: 1.6;}
.ictqa-figcap {font-weight: 600;}
.ictqa-figpreview {color: #424a53; font-size: 0.95em;}
.ictqa-figall summary {cursor: pointer; color: #0969da; font-size: 0.9em; margin-top: 4px;}
.ictqa-figlines {margin-top: 4px; font-size: 0.95em;}
.ictqa-meta {display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; margin-top: 10px;}
.ictqa-cite {font-size: 0.95em; color: #1f2328;}
.ictqa-label {font-family: ui-monospace, monospace; font-weight: 600; background: #f6f8fa; border: 1px solid #d0d7de; padding: 2px 6px; border-radius: 4px; user-select: all;}
.ictqa-source {margin-left: 0.5em; font-size: 0.9em; white-space: nowrap;}
.ictqa-actions {display: inline-flex; gap: 6px; align-items: flex-start;}
.ictqa-copy {border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa; color: #1f2328; padding: 1px 8px; font: inherit; font-size: 0.9em; cursor: pointer;}
.ictqa-copymenu summary {cursor: pointer; font-size: 0.9em; color: #0969da; list-style: none; padding: 1px 4px;}
.ictqa-copymenu[open] .ictqa-fmts {position: absolute; z-index: 10; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 8px; box-shadow: 0 4px 12px rgba(0,0,0,.12); max-width: min(640px, 90vw);}
.ictqa-fmt-row {display: flex; gap: 8px; align-items: baseline; margin: 3px 0;}
.ictqa-fmt {font-size: 0.85em; white-space: normal; word-break: break-all; color: #1f2328;}
.ictqa-score {color: #57606a; font-size: 0.8em; margin-left: auto;}
.ictqa-banner {border-radius: 8px; padding: 10px 14px; margin: 8px 0; color: #1f2328;}
.ictqa-warn {background: #fff8c5; border: 1px solid #d4a72c;}
.ictqa-error {background: #ffebe9; border: 1px solid #cf222e;}
.ictqa-note {background: #ddf4ff; border: 1px solid #54aeff;}
.ictqa-terms {color: #57606a; font-size: 0.85em; margin: 6px 0;}
.ictqa-preview {border-collapse: collapse; width: 100%; font-size: 0.9em; margin-top: 8px; color: #1f2328; background: #fff;}
.ictqa-preview caption {text-align: left; color: #57606a; padding: 4px 0;}
.ictqa-preview th, .ictqa-preview td {border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; text-align: left;}
.ictqa-preview mark.ictqa-hl {background: #fff3a3; color: inherit;}
/* Narrow screens (a phone, 400 px): the question box takes the whole row,
   the buttons go below it, the label stays on one line. */
@media (max-width: 640px) {
  #ictqa-ask-row {flex-wrap: wrap !important;}
  /* Gradio wraps the textbox in a .form div: that is the row's item.  (Custom CSS is scoped to .contain, so the page's own side padding stays.) */
  #ictqa-ask-row > .form, #ictqa-ask-row > *:has(#ictqa-question) {flex: 1 1 100% !important; min-width: 100% !important;}
  #ictqa-ask, #ictqa-link {flex: 1 1 40% !important; min-width: 0 !important;}
  .ictqa-card {padding: 10px;}
  .ictqa-score {margin-left: 0;}
}
.ictqa-also {color: #57606a; font-size: 0.85em; margin-top: 6px;}
.ictqa-all {margin: 4px 0 8px;}
"""

# The Copy buttons of the cards: each copies its data-text (the label, or one
# of the citation formats).  The clipboard API needs a secure context
# (localhost or https); elsewhere the text is selected for Ctrl+C instead.
COPY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.ictqa-copy');
  if (!b) return;
  const shown = b.closest('.ictqa-fmt-row')?.querySelector('.ictqa-fmt') || b.closest('.ictqa-card')?.querySelector('.ictqa-label');
  const label = b.textContent;
  const done = () => { b.textContent = '✓'; setTimeout(() => { b.textContent = label; }, 1500); };
  const select = () => { if (!shown) return; const r = document.createRange(); r.selectNodeContents(shown);
    const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(b.dataset.text).then(done, select);
  else select();
});
"""

# "Link to this question": the page's address with ?q=…&edition=… (which the
# form reads when it opens), copied to the clipboard and shown in the
# address bar.  Runs in the browser only (a Gradio js= handler).
LINK_JS = """
(question, editions) => {
  const u = new URL(window.location.href);
  u.search = '';
  if (question && question.trim()) u.searchParams.set('q', question.trim());
  for (const e of (editions || [])) u.searchParams.append('edition', e);
  const link = u.toString();
  window.history.replaceState(null, '', link);
  const b = document.querySelector('#ictqa-link');
  const done = () => { if (b) { const t = b.textContent; b.textContent = '✓ ' + t; setTimeout(() => { b.textContent = t; }, 1500); } };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).then(done, done);
  else done();
  return [question, editions];
}
"""
