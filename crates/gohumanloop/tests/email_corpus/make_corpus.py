#!/usr/bin/env python3
"""Writes the reply-mail corpus (*.eml) and its expectations (cases.json) next to this file.

    python3 crates/gohumanloop/tests/email_corpus/make_corpus.py

Every message is what a real mail client sends when a person answers (or, for the negative
cases, does not answer) a mail GoHumanLoop sent from agent@ghl.test with
`Message-ID: <ghl.TOKEN@ghl.test>` and a subject ending in ` [#TOKEN]`.

Deterministic: fixed dates, boundaries and ids; tokens are derived from the file names, so a
re-run writes byte-identical files. Charsets and transfer encodings are real (GBK, GB18030,
GB2312, ISO-8859-1, UTF-8; base64, quoted-printable, 7bit, 8bit); lines end in CRLF.
"""

import base64
import hashlib
import html as htmllib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = "\r\n"
AGENT = "agent@ghl.test"
APPROVER = "approver@ghl.test"
AGENT_FROM = f"GoHumanLoop <{AGENT}>"


# --------------------------------------------------------------------------------------------
# ids

def sha(seed, n=64):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def token_for(seed):
    return sha("token:" + seed, 16)


def ghl_id(token):
    return f"<ghl.{token}@ghl.test>"


def request_id(seed):
    x = sha("request:" + seed, 32)
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"


def gmail_mid(seed):
    b = base64.b64encode(hashlib.sha256(("gmail:" + seed).encode()).digest()).decode()
    b = b.replace("/", "_").replace("=", "")
    return f"<CA{b[:8]}+{b[8:30]}-{b[30:42]}@mail.gmail.com>"


def gmail_boundary(seed):
    return "000000000000" + sha("gb:" + seed, 16)


def outlook_ids(seed, host="DB9PR05MB7321", region="eurprd05"):
    local = host + sha("ol:" + seed, 24).upper() + "0"
    mid = f"<{local}@{host}.{region}.prod.outlook.com>"
    boundary = f"_000_{local}{host}{region[:4]}_"
    idx = base64.b64encode(b"\x01" + hashlib.sha256(("ti:" + seed).encode()).digest()[:21]).decode()
    return mid, boundary, idx


def apple_uuid(seed):
    x = sha("apple:" + seed, 32).upper()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:32]}"


# --------------------------------------------------------------------------------------------
# encodings

def qp(text, codec):
    """Quoted-printable (RFC 2045): hard line breaks as CRLF, soft breaks at 76 columns."""
    out = []
    for line in text.split("\n"):
        data = line.encode(codec)
        toks = []
        for i, b in enumerate(data):
            if b in (9, 32):
                toks.append("=%02X" % b if i == len(data) - 1 else chr(b))
            elif 33 <= b <= 126 and b != 61:
                toks.append(chr(b))
            else:
                toks.append("=%02X" % b)
        cur = ""
        for t in toks:
            if len(cur) + len(t) > 75:
                out.append(cur + "=")
                cur = ""
            cur += t
        out.append(cur)
    return CRLF.join(out).encode("ascii")


def b64(text, codec):
    data = text.replace("\n", CRLF).encode(codec)
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF).rstrip(CRLF).encode("ascii")


def raw(text, codec):
    return text.replace("\n", CRLF).encode(codec)


def seven(text, codec):
    text.encode("ascii")  # must be ASCII
    return raw(text, codec)


ENCODERS = {"base64": b64, "quoted-printable": qp, "8bit": raw, "7bit": seven, None: seven}


def ew(s, charset, codec=None, enc="B"):
    """RFC 2047 encoded words (each at most 75 characters), folded with CRLF SP."""
    codec = codec or charset.lower()

    def one(chunk):
        data = chunk.encode(codec)
        if enc == "B":
            payload = base64.b64encode(data).decode("ascii")
        else:
            payload = "".join(
                chr(b) if (chr(b).isascii() and chr(b).isalnum()) or chr(b) in "!*+-/" else
                "_" if b == 32 else "=%02X" % b
                for b in data)
        return f"=?{charset}?{enc}?{payload}?="

    words, cur = [], ""
    for ch in s:
        if cur and len(one(cur + ch)) > 75:
            words.append(one(cur))
            cur = ch
        else:
            cur += ch
    if cur:
        words.append(one(cur))
    return (CRLF + " ").join(words)


def headers_bytes(headers):
    return (CRLF.join(f"{k}: {v}" if v else f"{k}:" for k, v in headers) + CRLF + CRLF).encode("ascii")


def leaf(ctype, text, codec, cte, extra=()):
    """A body part (or, with `extra` headers first, a whole single-part message)."""
    hs = list(extra) + [("Content-Type", ctype)]
    if cte is not None:
        hs.append(("Content-Transfer-Encoding", cte))
    return headers_bytes(hs) + ENCODERS[cte](text, codec)


def multipart(boundary, parts, preamble=None):
    b = boundary.encode("ascii")
    out = []
    if preamble:
        out.append(preamble.encode("ascii") + b"\r\n")
    for p in parts:
        out.append(b"--" + b + b"\r\n" + p + b"\r\n")
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out)


def message(headers, body):
    return headers_bytes(headers) + body


def esc(s):
    return htmllib.escape(s, quote=False)


# --------------------------------------------------------------------------------------------
# what GoHumanLoop sent

T = {
    "en": {
        "instr": "Please reply in the following format:",
        "conv_instr": 'Please reply directly with your content. If you want to end the '
                      'conversation, include "[END CONVERSATION]" in your reply.',
        "start": "===== PLEASE KEEP THIS LINE AS CONTENT START MARKER =====",
        "end": "===== PLEASE KEEP THIS LINE AS CONTENT END MARKER =====",
        "approval": ["Decision: [approve/approved/accept/yes|reject/rejected/deny/no]",
                     "Reason: [Your reason]"],
        "information": ["Information: [Your information]"],
        "conversation": ["[Please enter your reply here]"],
        "footer": "Powered by GoHumanLoop - Perfecting AI workflows with human intelligence",
        "footer_html": 'Powered by <a href="https://github.com/ptonlix/gohumanloop">GoHumanLoop</a>'
                       ' - Perfecting AI workflows with human intelligence',
    },
    "zh": {
        "instr": "请按以下格式回复：",
        "conv_instr": '请直接回复您的内容。如需结束对话，请在回复中包含"[结束对话]"。',
        "start": "===== 请保留此行作为内容开始标记 =====",
        "end": "===== 请保留此行作为内容结束标记 =====",
        "approval": ["决定：[批准/同意/approve|拒绝/否决/reject]", "理由：[Your reason]"],
        "information": ["信息：[Your information]"],
        "conversation": ["[请在此处输入您的回复内容]"],
        "footer": "由 GoHumanLoop 提供支持 - Perfecting AI workflows with human intelligence",
        "footer_html": '由 <a href="https://github.com/ptonlix/gohumanloop">GoHumanLoop</a>'
                       ' 提供支持 - Perfecting AI workflows with human intelligence',
    },
}

DEFAULT_CONTEXT = {
    ("en", "approval"): ("Deploy version 2.3 to production?",
                         'deploy({"env": "prod", "version": "2.3"})'),
    ("zh", "approval"): ("是否将 2.3 版本发布到生产环境？",
                         'deploy({"env": "prod", "version": "2.3"})'),
    ("en", "information"): ("Which database host and port should the migration job use on staging?",
                            None),
    ("zh", "information"): ("迁移任务在预发环境应该连接哪个数据库？", None),
}


class Request:
    """One mail GoHumanLoop sent (what the human replies to)."""

    def __init__(self, seed, lang="en", kind="approval", task="deploy-42", conversation="c-1",
                 context=None, function=None, subject=None):
        self.seed, self.lang, self.kind = seed, lang, kind
        self.task, self.conversation = task, conversation
        dc, df = DEFAULT_CONTEXT.get((lang, kind), (None, None))
        self.context = context or dc
        self.function = function if function is not None else df
        self.token = token_for(seed)
        self.msgid = ghl_id(self.token)
        self.subject = f"{subject or f'[agent] Task {task}'} [#{self.token}]"

    def info_lines(self):
        lines = ["=== Task Information ===",
                 f"Task ID: {self.task}",
                 f"Conversation ID: {self.conversation}",
                 f"Request ID: {request_id(self.seed)}",
                 f"HumanLoop Type: {self.kind}",
                 "=== Main Context ===",
                 self.context]
        if self.function:
            lines += ["=== Function ===", self.function]
        return lines

    def instruction(self):
        t = T[self.lang]
        return t["conv_instr"] if self.kind == "conversation" else t["instr"]

    def template(self):
        t = T[self.lang]
        return [t["start"], *t[self.kind], t["end"]]

    def text(self):
        t = T[self.lang]
        return "\n".join(self.info_lines() + ["", self.instruction(), *self.template(),
                                              "", "---", t["footer"]]) + "\n"

    def html(self):
        t = T[self.lang]
        info = "<br>\n".join(esc(l) for l in self.info_lines())
        tmpl = "\n".join(esc(l) for l in self.template())
        return ('<div style="font-family:Arial,Helvetica,sans-serif;font-size:14px">\n'
                f"<p>{info}</p>\n"
                f"<p><b>{esc(self.instruction())}</b></p>\n"
                f'<pre style="background:#f5f5f5;padding:8px;border-radius:4px">{tmpl}</pre>\n'
                '<hr style="border:none;border-top:1px solid #ddd">\n'
                f'<p style="color:#888;font-size:12px">{t["footer_html"]}</p>\n'
                "</div>\n")


def gt_quote(text, empty=">"):
    """Quote with '> ' (empty lines as `empty`)."""
    return "\n".join("> " + l if l else empty for l in text.rstrip("\n").split("\n"))


def divs(text):
    return "".join(f"<div>{esc(l)}</div>" if l else "<div><br></div>" for l in text.split("\n"))


def html_doc(inner, charset="UTF-8"):
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset='
            f'{charset}"></head><body>{inner}</body></html>\n')


# --------------------------------------------------------------------------------------------
# clients

GMAIL_ATTR = f"On Wed, Nov 25, 2026 at 10:02 AM GoHumanLoop <{AGENT}> wrote:"


def gmail(req, user, *, name, date, seed, attribution=GMAIL_ATTR, text_cte="auto",
          html_cte="quoted-printable", in_reply_to=None, references=None, subject=None,
          from_addr=APPROVER):
    """Gmail web: top-posted, text/plain + text/html, `On … wrote:` and '>' quoting."""
    text = f"{user}\n\n{attribution}\n\n{gt_quote(req.text())}\n"
    attr_html = esc(attribution).replace(
        f"&lt;{AGENT}&gt;", f'&lt;<a href="mailto:{AGENT}">{AGENT}</a>&gt;')
    if "\n-- \n" in user:  # Gmail's signature block
        main, sig = user.split("\n-- \n", 1)
        user_html = (divs(main) + '<div><br clear="all"></div><div><br></div>'
                     '<span class="gmail_signature_prefix">-- </span><br>'
                     '<div dir="ltr" class="gmail_signature">'
                     + "<br>".join(esc(l) for l in sig.split("\n")) + "</div>")
    else:
        user_html = divs(user)
    html = (f'<div dir="ltr">{user_html}</div><br><div class="gmail_quote gmail_quote_container">'
            f'<div dir="ltr" class="gmail_attr">{attr_html}<br></div>'
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            f'rgb(204,204,204);padding-left:1ex">{req.html()}</blockquote></div>\n')
    if text_cte == "auto":
        ascii_ok = all(ord(c) < 128 for c in text)
        long_line = max(len(l) for l in text.split("\n")) > 76
        text_cte = None if ascii_ok and not long_line else \
            "quoted-printable" if ascii_ok or sum(ord(c) > 127 for c in text) < len(text) // 4 else "base64"
    boundary = gmail_boundary(seed)
    irt = in_reply_to or req.msgid
    refs = references or [req.msgid]
    from_hdr = f"{name} <{from_addr}>"
    subj = subject or f"Re: {req.subject}"
    hs = [("Delivered-To", AGENT),
          ("Return-Path", f"<{from_addr}>"),
          ("MIME-Version", "1.0"),
          ("References", (CRLF + " ").join(refs)),
          ("In-Reply-To", irt),
          ("From", from_hdr),
          ("Date", date),
          ("Message-ID", gmail_mid(seed)),
          ("Subject", subj),
          ("To", AGENT_FROM),
          ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    body = multipart(boundary, [
        leaf('text/plain; charset="UTF-8"', text, "utf-8", text_cte),
        leaf('text/html; charset="UTF-8"', html, "utf-8", html_cte),
    ])
    return message(hs, body), text


def outlook(req, user, *, name, date, seed, style, lang="en", charset="utf-8", codec="utf-8",
            text_cte="quoted-printable", html_cte="quoted-printable", sent=None, to_name=None,
            subject_prefix=None, html=True, mailer=None):
    """Outlook. style: 'owa' (`____` + From/Sent/To/Subject), 'classic' (From/Sent/To/Subject
    block only), 'plain' (`-----Original Message-----` / `-----邮件原件-----`, text only)."""
    to_name = to_name or name
    if lang == "en":
        labels = ("From", "Sent", "To", "Subject")
        sent = sent or "Wednesday, November 25, 2026 10:02 AM"
        prefix = subject_prefix or "RE: "
        original_sep = "-----Original Message-----"
    else:
        labels = ("发件人", "发送时间", "收件人", "主题")
        sent = sent or "2026年11月25日 10:02"
        prefix = subject_prefix or "答复: "
        original_sep = "-----邮件原件-----"
    block = [f"{labels[0]}: {AGENT_FROM}" + (" " if style != "owa" else ""),
             f"{labels[1]}: {sent}",
             f"{labels[2]}: {to_name} <{APPROVER}>",
             f"{labels[3]}: {req.subject}"]
    if style == "owa":
        text = f"{user}\n\n________________________________\n" + "\n".join(block) + "\n\n" + req.text()
    elif style == "classic":
        text = f"{user}\n\n" + "\n".join(block) + "\n\n" + req.text()
    else:
        text = f"{user}\n\n{original_sep}\n" + "\n".join(block) + "\n\n" + req.text()
    mid, boundary, idx = outlook_ids(seed)
    subj_plain = prefix + req.subject
    subj = subj_plain if all(ord(c) < 128 for c in subj_plain) else ew(subj_plain, charset, codec)
    name_hdr = name if all(ord(c) < 128 for c in name) else ew(name, charset, codec)
    to_hdr = "GoHumanLoop <agent@ghl.test>"
    topic = req.subject if all(ord(c) < 128 for c in req.subject) else ew(req.subject, charset, codec)
    hs = [("Return-Path", f"<{APPROVER}>"),
          ("From", f"{name_hdr} <{APPROVER}>"),
          ("To", to_hdr),
          ("Subject", subj),
          ("Thread-Topic", topic),
          ("Thread-Index", idx),
          ("Date", date),
          ("Message-ID", mid),
          ("References", req.msgid),
          ("In-Reply-To", req.msgid),
          ("Accept-Language", "en-US" if lang == "en" else "zh-CN, en-US"),
          ("Content-Language", "en-US" if lang == "en" else "zh-CN")]
    if mailer:
        hs.append(("X-Mailer", mailer))
    hs += [("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")]
    ctext = f'text/plain; charset="{charset}"'
    if not html:
        hs += [("Content-Type", ctext), ("Content-Transfer-Encoding", text_cte), ("MIME-Version", "1.0")]
        return message(hs, ENCODERS[text_cte](text, codec)), text
    paras = "".join(
        f'<p class="MsoNormal"><span lang="{"EN-US" if lang == "en" else "ZH-CN"}">{esc(l) or "&nbsp;"}</span></p>\n'
        for l in user.split("\n"))
    hblock = "<br>\n".join(f"<b>{esc(k)}:</b> {esc(v.split(': ', 1)[1].strip())}"
                           for k, v in zip(labels, block))
    if style == "owa":
        quote = ('<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
                 '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" '
                 f'color="#000000">{hblock}</font>\n<div>&nbsp;</div>\n</div>\n')
    else:
        quote = ('<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
                 f'<p class="MsoNormal">{hblock}</p>\n</div>\n')
    html_text = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" '
                 'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n'
                 f'<head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
                 '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n</head>\n'
                 f'<body lang="{"EN-US" if lang == "en" else "ZH-CN"}" link="#0563C1" vlink="#954F72">\n'
                 f'<div class="WordSection1">\n{paras}<p class="MsoNormal">&nbsp;</p>\n{quote}'
                 f'{req.html()}</div>\n</body>\n</html>\n')
    hs += [("Content-Type", f'multipart/alternative;\r\n\tboundary="{boundary}"'), ("MIME-Version", "1.0")]
    body = multipart(boundary, [
        leaf(ctext, text, codec, text_cte),
        leaf(f'text/html; charset="{charset}"', html_text, codec, html_cte),
    ])
    return message(hs, body), text


def qq_block(req, to_name, sent="2026年11月25日(星期三) 上午10:02"):
    """QQ Mail / Foxmail / Exmail: `------------------ 原始邮件 ------------------` + header block."""
    return ("------------------ 原始邮件 ------------------\n"
            f'发件人: "GoHumanLoop"<{AGENT}>;\n'
            f"发送时间: {sent}\n"
            f'收件人: "{to_name}"<{APPROVER}>;\n'
            f"主题: {req.subject}\n \n")


def qq_block_html(req, to_name, sent="2026年11月25日(星期三) 上午10:02"):
    return ('<div><includetail><div>&nbsp;</div><div style="font:Verdana normal 14px;color:#000;">'
            '<div style="FONT-SIZE: 12px;FONT-FAMILY: Arial Narrow;padding:2px 0 2px 0;">'
            '------------------ 原始邮件 ------------------</div>'
            '<div style="FONT-SIZE: 12px;background:#efefef;padding:8px;">'
            f'<div><b>发件人:</b> "GoHumanLoop"&lt;{AGENT}&gt;;</div>'
            f'<div><b>发送时间:</b> {esc(sent)}</div>'
            f'<div><b>收件人:</b> "{esc(to_name)}"&lt;{APPROVER}&gt;;</div>'
            f'<div><b>主题:</b> {esc(req.subject)}</div></div><div>&nbsp;</div>'
            f'{req.html()}</div></includetail></div>')


def netease_block(req, to=f"<{APPROVER}>"):
    return ("---- Replied Message ----\n"
            f"| From | GoHumanLoop<{AGENT}> |\n"
            "| Date | 11/25/2026 10:02 |\n"
            f"| To | {to} |\n"
            f"| Subject | {req.subject} |\n")


def netease_block_html(req):
    rows = [("From", f"GoHumanLoop&lt;{AGENT}&gt;"), ("Date", "11/25/2026 10:02"),
            ("To", f"&lt;{APPROVER}&gt;"), ("Subject", esc(req.subject))]
    trs = "".join(f'<tr><td width="80" style="color:#999">{k}</td><td>{v}</td></tr>' for k, v in rows)
    return ('<div class="J-reply" style="background-color:#f2f2f2;color:black;padding-top:6px;'
            'padding-bottom:6px;border-radius:3px;margin-top:45px;margin-bottom:20px;">'
            '<div style="font-size:12px;line-height:1.5;word-break:break-all;margin-left:10px;">'
            f'---- Replied Message ----</div><table style="font-size:12px">{trs}</table></div>'
            f'<div>{req.html()}</div>')


def netease163(req, user, *, name, date, seed, charset="GBK", codec="gbk", mailer=None):
    """163 Mail (Coremail webmail): text/plain + text/html, `---- Replied Message ----`."""
    text = f"{user}\n\n\n\n{netease_block(req)}{req.text()}"
    html_text = html_doc(f'<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
                         f'{divs(user)}<br><br><br>{netease_block_html(req)}</div>', charset)
    n = int(sha("163:" + seed, 8), 16)
    boundary = f"----=_Part_{n % 900000 + 100000}_{n % 2000000000}.1764038402117"
    hs = [("Date", date),
          ("From", f'"{ew(name, charset, codec)}" <{APPROVER}>'),
          ("To", f'"GoHumanLoop" <{AGENT}>'),
          ("Subject", ew("回复:" + req.subject, charset, codec)),
          ("X-Priority", "3"),
          ("X-Mailer", mailer or "Coremail Webmail Server Version XT5.0.14 build 20240801(9da12a7b)\r\n"
                                 " Copyright (c) 2002-2026 www.mailtech.cn 163com"),
          ("In-Reply-To", req.msgid),
          ("References", req.msgid),
          ("X-NTES-SC", "AL_Qu2cB/6Yuk0o4SOZbOkfmUgeg+w9XsO4vf8m2YNRP5k0pyvO5x8KV3FjM0fS9ue1"),
          ("Content-Type", f'multipart/alternative;\r\n\tboundary="{boundary}"'),
          ("MIME-Version", "1.0"),
          ("Message-ID", f"<{sha('163id:' + seed, 8)}.{sha('163b:' + seed, 4)}.{sha('163c:' + seed, 11)}"
                         f".Coremail.approver@ghl.test>")]
    body = multipart(boundary, [
        leaf(f"text/plain; charset={charset}", text, codec, "base64"),
        leaf(f"text/html; charset={charset}", html_text, codec, "base64"),
    ])
    return message(hs, body), text


# --------------------------------------------------------------------------------------------
# the cases

CASES = []


def case(file, client, language, kind, req, body, expect, accepted=True, recipient=APPROVER,
         note=""):
    entry = {"file": file, "client": client, "language": language, "kind": kind,
             "token": req.token if req else None, "recipient": recipient, "accepted": accepted}
    entry.update(expect)
    entry["note"] = note
    CASES.append((file, body, entry))


def approval(decision, reason):
    return {"decision": decision, "reason": reason}


def build():
    # 1 ---------------------------------------------------------------- Gmail, en, approve
    r = Request("gmail_en_approve")
    m, _ = gmail(r, "Decision: approve\nReason: Looks fine, tested on staging.",
                 name="Dana Reviewer", date="Wed, 25 Nov 2026 10:14:07 -0800", seed="g1")
    case("gmail_en_approve.eml", "Gmail", "en", "approval", r, m,
         approval("approved", "Looks fine, tested on staging."),
         note="top-posted; reason on the next line; '>'-quoted template below `On … wrote:`")

    # 2 ---------------------------------------------------------------- Gmail, en, reject, QP
    r = Request("gmail_en_reject_qp")
    m, _ = gmail(r, "Decision: reject\nReason: too risky on a Friday\n\n-- \nJürgen Weiß\nRelease Manager",
                 name=ew("Jürgen Weiß", "UTF-8", "utf-8", "Q"), date="Wed, 25 Nov 2026 19:21:44 +0100",
                 seed="g2", text_cte="quoted-printable")
    case("gmail_en_reject_qp.eml", "Gmail", "en", "approval", r, m,
         approval("rejected", "too risky on a Friday"),
         note="quoted-printable (=3D in the quoted markers, UTF-8 signature); Gmail signature after '-- ' dropped")

    # 3 ---------------------------------------------------------------- Gmail, zh, approve, base64
    r = Request("gmail_zh_approve_base64", lang="zh", subject="[agent] 发布审批 deploy-42")
    subj = f"Re: [agent] {ew('发布审批', 'UTF-8')} deploy-42 [#{r.token}]"
    m, _ = gmail(r, "决定：同意\n理由：已检查", name=ew("李娜", "UTF-8"),
                 date="Wed, 25 Nov 2026 10:09:51 +0800", seed="g3", subject=subj,
                 attribution=f"GoHumanLoop <{AGENT}> 于2026年11月25日周三 上午10:02写道：",
                 text_cte="base64", html_cte="base64")
    case("gmail_zh_approve_base64.eml", "Gmail (zh-CN UI)", "zh", "approval", r, m,
         approval("approved", "已检查"),
         note="base64 UTF-8; Gmail's Chinese attribution line `… 于2026年11月25日周三 上午10:02写道：` "
              "(ends in 写道：, does not start with 在)")

    # 4 ---------------------------------------------------------------- Outlook (M365), en, approve
    r = Request("outlook_en_approve")
    m, _ = outlook(r, "Decision: approved\nReason: Change window confirmed with the on-call team.",
                   name="Dana Reviewer", date="Wed, 25 Nov 2026 18:20:11 +0000", seed="o1", style="owa")
    case("outlook_en_approve.eml", "Outlook (Microsoft 365 / new Outlook)", "en", "approval", r, m,
         approval("approved", "Change window confirmed with the on-call team."),
         note="`________________________________` + From/Sent/To/Subject; original NOT '>'-prefixed, "
              "with the untouched template")

    # 5 ---------------------------------------------------------------- Outlook desktop, zh, reject
    r = Request("outlook_zh_reject_gb2312", lang="zh")
    m, _ = outlook(r, "决定：拒绝\n理由：本周五是封网期，请下周一再发布。", name="张伟",
                   date="Wed, 25 Nov 2026 10:33:58 +0800", seed="o2", style="classic", lang="zh",
                   charset="gb2312", codec="gb2312", text_cte="base64", html_cte="base64",
                   mailer="Microsoft Outlook 16.0")
    case("outlook_zh_reject_gb2312.eml", "Outlook 2016 (zh-CN)", "zh", "approval", r, m,
         approval("rejected", "本周五是封网期，请下周一再发布。"),
         note="gb2312 base64; subject `答复: …` encoded whole; Chinese Outlook block 发件人:/发送时间:/收件人:/主题: "
              "(half-width colons, no separator line); original not '>'-prefixed")

    # 6 ---------------------------------------------------------------- Apple Mail, en, QP
    r = Request("applemail_en_approve_qp")
    user = "Decision: yes\nReason: Thanks for checking first — ship it."
    text = (f"{user}\n\nOn 25 Nov 2026, at 10:02, GoHumanLoop <{AGENT}> wrote:\n\n"
            f"{gt_quote(r.text())}\n\n")
    hs = [("From", f"Dana Reviewer <{APPROVER}>"),
          ("Content-Type", "text/plain;\r\n\tcharset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))"),
          ("Subject", f"Re: {r.subject}"),
          ("Date", "Wed, 25 Nov 2026 10:09:47 +0000"),
          ("References", r.msgid),
          ("To", AGENT_FROM),
          ("In-Reply-To", r.msgid),
          ("Message-Id", f"<{apple_uuid('a1')}@ghl.test>"),
          ("X-Mailer", "Apple Mail (2.3826.200.121)")]
    case("applemail_en_approve_qp.eml", "Apple Mail (macOS)", "en", "approval", r,
         message(hs, qp(text, "utf-8")), approval("approved", "Thanks for checking first — ship it."),
         note="text/plain only, UTF-8 quoted-printable (em dash =E2=80=94); `On 25 Nov 2026, at 10:02, … wrote:`")

    # 7 ---------------------------------------------------------------- Foxmail, zh, GBK, 原始邮件
    r = Request("foxmail_zh_approve_gbk", lang="zh")
    user = "决定：批准\n理由：已和运维王喆确认回滚方案。"
    text = f"{user}\n \n \n{qq_block(r, '张伟')}{r.text()}"
    html_text = html_doc('<style>body { line-height: 1.5; }</style>'
                         f'<div><span></span>{divs(user)}</div><div><br></div>{qq_block_html(r, "张伟")}',
                         "GBK")
    boundary = "----=_001_NextPart318530612275_=----"
    hs = [("Date", "Wed, 25 Nov 2026 10:18:36 +0800"),
          ("From", f'"{ew("张伟", "GBK", "gbk")}" <{APPROVER}>'),
          ("To", f'"GoHumanLoop" <{AGENT}>'),
          ("Subject", ew("回复: " + r.subject, "GBK", "gbk")),
          ("References", r.msgid),
          ("X-Priority", "3"),
          ("X-GUID", f"{apple_uuid('fx1')}"),
          ("X-Has-Attach", "no"),
          ("X-Mailer", "Foxmail 7.2.25.375[cn]"),
          ("Mime-Version", "1.0"),
          ("Message-ID", "<202611251018360213871@ghl.test>"),
          ("In-Reply-To", r.msgid),
          ("Content-Type", f'multipart/alternative;\r\n\tboundary="{boundary}"')]
    body = multipart(boundary, [leaf('text/plain; charset="GBK"', text, "gbk", "base64"),
                                leaf('text/html; charset="GBK"', html_text, "gbk", "base64")],
                     preamble="This is a multi-part message in MIME format.\r\n")
    case("foxmail_zh_approve_gbk.eml", "Foxmail 7.2", "zh", "approval", r, message(hs, body),
         approval("approved", "已和运维王喆确认回滚方案。"),
         note="GBK base64 (喆 is GBK-only, not GB2312); `------------------ 原始邮件 ------------------` then "
              "发件人:/发送时间:/收件人:/主题:; whitespace-only lines before it")

    # 8 ---------------------------------------------------------------- 163, zh, information, GBK
    r = Request("netease163_zh_information_gbk", lang="zh", kind="information", task="db-migrate-7",
                conversation="c-7")
    m, _ = netease163(r, "信息：数据库在 db.internal，端口 5432。\n只读账号请找 DBA 周珺申请。", name="王芳",
                      date="Wed, 25 Nov 2026 10:40:02 +0800 (CST)", seed="n1")
    case("netease163_zh_information_gbk.eml", "NetEase 163 Mail (web)", "zh", "information", r, m,
         {"information": "数据库在 db.internal，端口 5432。\n只读账号请找 DBA 周珺申请。"},
         note="GBK base64 (珺 is GBK-only); `---- Replied Message ----` with the | From | … | table; two-line information")

    # 9 ---------------------------------------------------------------- HTML only, en
    r = Request("htmlonly_en_approve")
    inner = ('<div dir="ltr"><div>Decision: accept</div><div>Reason: QA&#39;s sign-off is attached &amp; the '
             'rollback plan is documented.</div></div><br>'
             '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Nov 25, 2026 at 10:02 AM '
             f'GoHumanLoop &lt;<a href="mailto:{AGENT}">{AGENT}</a>&gt; wrote:<br></div>'
             '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
             f'rgb(204,204,204);padding-left:1ex">{r.html()}</blockquote></div>')
    hs = [("MIME-Version", "1.0"),
          ("Date", "Wed, 25 Nov 2026 11:05:13 -0500"),
          ("From", f"Dana Reviewer <{APPROVER}>"),
          ("To", AGENT_FROM),
          ("Subject", f"Re: {r.subject}"),
          ("Message-ID", f"<{sha('h1', 24)}@mail.ghl.test>"),
          ("In-Reply-To", r.msgid),
          ("References", r.msgid),
          ("Content-Type", 'text/html; charset="UTF-8"'),
          ("Content-Transfer-Encoding", "quoted-printable")]
    case("htmlonly_en_approve.eml", "HTML-only client (Gmail-style quote)", "en", "approval", r,
         message(hs, qp(html_doc(inner), "utf-8")),
         approval("approved", "QA's sign-off is attached & the rollback plan is documented."),
         note="no text/plain part: body is the HTML converted to text (entities &#39; &amp; decoded); "
              "quote in div.gmail_quote/blockquote")

    # 10 --------------------------------------------------------------- HTML only, zh, base64
    r = Request("htmlonly_zh_approve_base64", lang="zh")
    inner = ('<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
             '<div>决定：同意</div><div>理由：灰度 10% 两小时无异常</div><div><br></div>'
             '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
             f'在 2026年11月25日 10:02，"GoHumanLoop"&lt;{AGENT}&gt; 写道：</div>'
             '<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
             f'{r.html()}</blockquote>')
    hs = [("X-QQ-FEAT", "3gVvxVEmwf6E9yR0Xk3SxHkqsV0WB2zmS0vLfy9JHvU="),
          ("X-QQ-SSF", "00010000000000F000000000000000Z"),
          ("X-QQ-mid", f"t6gz{sha('q1', 26)}"),
          ("From", f'"{ew("李娜", "gb18030")}" <{APPROVER}>'),
          ("To", f'"{ew("GoHumanLoop", "gb18030")}" <{AGENT}>'),
          ("Subject", ew("回复：" + r.subject, "gb18030")),
          ("Mime-Version", "1.0"),
          ("Content-Type", 'text/html;\r\n\tcharset="gb18030"'),
          ("Content-Transfer-Encoding", "base64"),
          ("Date", "Wed, 25 Nov 2026 10:26:12 +0800"),
          ("X-Priority", "3"),
          ("Message-ID", f"<tencent_{sha('q1id', 40).upper()}@ghl.test>"),
          ("X-QQ-MIME", "TCMime 1.0 by Tencent"),
          ("X-Mailer", "QQMail 2.x"),
          ("X-QQ-Mailer", "QQMail 2.x"),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid)]
    case("htmlonly_zh_approve_base64.eml", "QQ Mail app (HTML only)", "zh", "approval", r,
         message(hs, b64(inner, "gb18030")), approval("approved", "灰度 10% 两小时无异常"),
         note="text/html only, GB18030 base64; quote header `在 2026年11月25日 10:02，\"GoHumanLoop\"<…> 写道：`")

    # 11 --------------------------------------------------------------- Thunderbird, bottom-post
    r = Request("thunderbird_en_bottom_post")
    text = (f"On 11/25/26 10:02 AM, GoHumanLoop wrote:\n{gt_quote(r.text())}\n\n"
            "Decision: approve\nReason: Staging soak passed overnight.\n\n-- \nDana Reviewer\nPlatform team\n")
    hs = [("Message-ID", f"<{sha('tb1', 8)}-{sha('tb2', 4)}-4{sha('tb3', 3)}-8{sha('tb4', 3)}-{sha('tb5', 12)}@ghl.test>"),
          ("Date", "Wed, 25 Nov 2026 10:31:05 +0100"),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("Subject", f"Re: {r.subject}"),
          ("To", AGENT_FROM),
          ("References", r.msgid),
          ("Content-Language", "en-US"),
          ("From", f"Dana Reviewer <{APPROVER}>"),
          ("In-Reply-To", r.msgid),
          ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
          ("Content-Transfer-Encoding", "7bit")]
    case("thunderbird_en_bottom_post.eml", "Thunderbird 128", "en", "approval", r,
         message(hs, seven(text, "utf-8")), approval("approved", "Staging soak passed overnight."),
         note="bottom-posting: `On … wrote:` first, whole '>' quote, answer below, signature after '-- '; format=flowed")

    # 12 --------------------------------------------------------------- mutt, inline reply
    r = Request("mutt_en_inline_reject")
    lines = r.text().rstrip("\n").split("\n")
    cut = lines.index("=== Function ===")
    tmpl_end = lines.index(T["en"]["end"])
    text = ("On Wed, Nov 25, 2026 at 10:02:11AM +0000, GoHumanLoop wrote:\n"
            + gt_quote("\n".join(lines[:cut])) + "\n\n"
            + "Decision: reject\nReason: 2.3 still has the connection-pool leak, see INC-118.\n\n"
            + gt_quote("\n".join(lines[cut:tmpl_end + 1])) + "\n\n-- \nSam Okafor\n")
    hs = [("Date", "Wed, 25 Nov 2026 10:44:19 +0000"),
          ("From", f"Sam Okafor <{APPROVER}>"),
          ("To", AGENT_FROM),
          ("Subject", f"Re: {r.subject}"),
          ("Message-ID", "<20261125104419.k3mq2xw5vbta@lab.ghl.test>"),
          ("References", r.msgid),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=us-ascii"),
          ("Content-Disposition", "inline"),
          ("In-Reply-To", r.msgid),
          ("User-Agent", "NeoMutt/20231103")]
    case("mutt_en_inline_reject.eml", "NeoMutt", "en", "approval", r, message(hs, seven(text, "ascii")),
         approval("rejected", "2.3 still has the connection-pool leak, see INC-118."),
         note="inline (interleaved) reply: attribution first, answer between two '>' blocks, signature")

    # 13 --------------------------------------------------------------- Outlook for Mac, markers kept
    r = Request("outlookmac_en_markers_filled")
    user = ("Sure, filled in below.\n\n" + T["en"]["start"] +
            "\nDecision: approved\nReason: Release notes reviewed, no blockers left.\n" + T["en"]["end"] +
            "\n\nThanks,\nDana")
    text = (f"{user}\n\nFrom: {AGENT_FROM}\nDate: Wednesday, 25 November 2026 at 10:02\n"
            f"To: Dana Reviewer <{APPROVER}>\nSubject: {r.subject}\n\n{r.text()}")
    html_text = html_doc('<div style="font-family:Aptos,Arial,sans-serif;font-size:12pt">' + divs(user) +
                         '</div><div><br></div><div id="mail-editor-reference-message-container">'
                         '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0in 0in 0in">'
                         f'<b>From: </b>GoHumanLoop &lt;{AGENT}&gt;<br><b>Date: </b>Wednesday, 25 November 2026 at 10:02<br>'
                         f'<b>To: </b>Dana Reviewer &lt;{APPROVER}&gt;<br><b>Subject: </b>{esc(r.subject)}</div>'
                         f'{r.html()}</div>')
    boundary = "B_3847261533_1820375619"
    hs = [("User-Agent", "Microsoft-MacOutlook/16.91.24111020"),
          ("Date", "Wed, 25 Nov 2026 10:52:30 +0000"),
          ("Subject", f"Re: {r.subject}"),
          ("From", f"Dana Reviewer <{APPROVER}>"),
          ("To", AGENT_FROM),
          ("Message-ID", f"<{apple_uuid('om1')}@ghl.test>"),
          ("Thread-Topic", r.subject),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid),
          ("Mime-version", "1.0"),
          ("Content-type", f'multipart/alternative;\r\n\tboundary="{boundary}"')]
    body = multipart(boundary, [leaf('text/plain;\r\n\tcharset="UTF-8"', text, "utf-8", "quoted-printable"),
                                leaf('text/html;\r\n\tcharset="UTF-8"', html_text, "utf-8", "quoted-printable")],
                     preamble="> This message is in MIME format. Since your mail reader does not understand\r\n"
                              "this format, some or all of this message may not be legible.\r\n")
    case("outlookmac_en_markers_filled.eml", "Outlook for Mac", "en", "approval", r, message(hs, body),
         approval("approved", "Release notes reviewed, no blockers left."),
         note="template copied to the top and filled inside the markers; text outside the markers ignored; "
              "'no' in the reason does not matter; quote block From:/Date:/To:/Subject:")

    # 14 --------------------------------------------------------------- not approved
    r = Request("gmail_en_not_approved")
    m, _ = gmail(r, "Decision: not approved\nReason: Waiting on the security review of the new auth flow.",
                 name="Priya Nair", date="Wed, 25 Nov 2026 15:47:09 +0530", seed="g14")
    case("gmail_en_not_approved.eml", "Gmail", "en", "approval", r, m,
         approval("rejected", "Waiting on the security review of the new auth flow."),
         note="negated approve word: `not approved` → rejected")

    # 15 --------------------------------------------------------------- Decision: None (Outlook classic)
    r = Request("outlook_en_decision_none")
    m, _ = outlook(r, "Decision: None\nReason: Not my call, please ask the release manager.",
                   name="Approver", date="Wed, 25 Nov 2026 10:58:02 +0000", seed="o3", style="classic",
                   mailer="Microsoft Outlook 16.0", charset="us-ascii", codec="ascii")
    case("outlook_en_decision_none.eml", "Outlook 2016 (classic)", "en", "approval", r, m,
         approval(None, "Not my call, please ask the release manager."),
         note="`None` is not `no` (whole words) → no decision; From:/Sent:/To:/Subject: block without separator")

    # 16 --------------------------------------------------------------- I don't know (iPhone)
    r = Request("iphone_en_dont_know")
    user = "Decision: I don\u2019t know\nReason: I\u2019m not the owner of this service."
    text = (f"{user}\n\n> On Nov 25, 2026, at 10:02\u202fAM, GoHumanLoop <{AGENT}> wrote:\n> \n"
            f"{gt_quote(r.text(), empty='> ')}\n")
    hs = [("Content-Type", "text/plain;\r\n\tcharset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("From", f"Approver <{APPROVER}>"),
          ("Mime-Version", "1.0 (1.0)"),
          ("Subject", f"Re: {r.subject}"),
          ("Date", "Wed, 25 Nov 2026 08:13:26 -0800"),
          ("Message-Id", f"<{apple_uuid('i1')}@ghl.test>"),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid),
          ("To", AGENT_FROM),
          ("X-Mailer", "iPhone Mail (22B91)")]
    case("iphone_en_dont_know.eml", "iPhone Mail (iOS 18)", "en", "approval", r, message(hs, qp(text, "utf-8")),
         approval(None, "I\u2019m not the owner of this service."),
         note="`I don’t know` (curly apostrophe): `know` is not `no` → no decision; attribution itself '>'-quoted")

    # 17 --------------------------------------------------------------- 不同意 (Outlook plain, gb2312 QP)
    r = Request("outlook_zh_butongyi_plain", lang="zh")
    m, _ = outlook(r, "决定：不同意\n理由：回滚方案还没有评审。", name="王芳",
                   date="Wed, 25 Nov 2026 11:12:40 +0800", seed="o4", style="plain", lang="zh",
                   charset="gb2312", codec="gb2312", text_cte="quoted-printable", html=False,
                   mailer="Microsoft Outlook 16.0")
    case("outlook_zh_butongyi_plain.eml", "Outlook 2016 (zh-CN, plain text)", "zh", "approval", r, m,
         approval("rejected", "回滚方案还没有评审。"),
         note="`不同意` (negated 同意) → rejected; gb2312 quoted-printable; `-----邮件原件-----` block")

    # 18 --------------------------------------------------------------- untouched template, "thanks"
    r = Request("gmail_en_untouched_template")
    m, _ = gmail(r, "Thanks, I'll have a look after lunch.", name="Dana Reviewer",
                 date="Wed, 25 Nov 2026 10:05:55 -0800", seed="g18")
    case("gmail_en_untouched_template.eml", "Gmail", "en", "approval", r, m, approval(None, ""),
         note="only a thank-you above the quote; the untouched template is quoted → no decision")

    # 19 --------------------------------------------------------------- "Approved, go ahead."
    r = Request("gmail_en_approved_go_ahead")
    m, _ = gmail(r, "Approved, go ahead.", name="Dana Reviewer",
                 date="Wed, 25 Nov 2026 10:07:18 -0800", seed="g19")
    case("gmail_en_approved_go_ahead.eml", "Gmail (Android app)", "en", "approval", r, m,
         approval("approved", "go ahead."),
         note="no Decision line: the first line starts with a decision word")

    # 20 --------------------------------------------------------------- 同意, GB18030 8bit (Foxmail)
    r = Request("foxmail_zh_tongyi_8bit", lang="zh")
    text = (f"同意\n\n \n发件人： GoHumanLoop\n发送时间： 2026-11-25 10:02\n收件人： {APPROVER}\n"
            f"主题： {r.subject}\n \n{r.text()}")
    hs = [("Date", "Wed, 25 Nov 2026 10:06:02 +0800"),
          ("From", f'"{ew("赵磊", "gb18030")}" <{APPROVER}>'),
          ("To", f'"GoHumanLoop" <{AGENT}>'),
          ("Subject", ew("回复: " + r.subject, "gb18030")),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid),
          ("X-Priority", "3"),
          ("X-Has-Attach", "no"),
          ("X-Mailer", "Foxmail 7.2.19.158[cn]"),
          ("Mime-Version", "1.0"),
          ("Message-ID", "<202611251006021754320@ghl.test>"),
          ("Content-Type", 'text/plain;\r\n\tcharset="GB18030"'),
          ("Content-Transfer-Encoding", "8bit")]
    case("foxmail_zh_tongyi_8bit.eml", "Foxmail 7.2 (plain text)", "zh", "approval", r,
         message(hs, raw(text, "gb18030")), approval("approved", ""),
         note="`同意` alone (no Decision line); raw GB18030 bytes, 8bit; Foxmail block 发件人：/发送时间： "
              "(full-width colons)")

    # 21 --------------------------------------------------------------- information, iso-8859-1 QP
    r = Request("outlook_en_information_latin1", kind="information", task="db-migrate-7", conversation="c-7")
    m, _ = outlook(r, "Information: The staging database is db.internal, port 5432.\n"
                      "Read-only credentials are in the vault under ops/staging; ask José if you can't find them.",
                   name="Approver", date="Wed, 25 Nov 2026 11:30:00 +0100", seed="o5", style="plain",
                   charset="iso-8859-1", codec="iso-8859-1", html=False, mailer="Microsoft Outlook 16.0")
    case("outlook_en_information_latin1.eml", "Outlook 2016 (plain text)", "en", "information", r, m,
         {"information": "The staging database is db.internal, port 5432.\n"
                         "Read-only credentials are in the vault under ops/staging; ask José if you can't find them."},
         note="iso-8859-1 quoted-printable (Jos=E9, soft line break); `-----Original Message-----`; two lines")

    # 22 --------------------------------------------------------------- information, no prefix
    r = Request("gmail_en_information_no_prefix", kind="information", task="oncall-3", conversation="c-3",
                context="Who is the on-call engineer for the payments service this week?")
    m, _ = gmail(r, "Sam Lee is on call until Friday; after that it's Priya Nair.", name="Dana Reviewer",
                 date="Wed, 25 Nov 2026 10:11:40 -0800", seed="g22")
    case("gmail_en_information_no_prefix.eml", "Gmail", "en", "information", r, m,
         {"information": "Sam Lee is on call until Friday; after that it's Priya Nair."},
         note="no `Information:` prefix → the whole content")

    # 23-25 ------------------------------------------------------------ conversation, three turns
    conv = dict(kind="conversation", task="incident-7", conversation="c-incident-7",
                subject="[agent] Incident triage: checkout errors")
    r1 = Request("gmail_en_conversation_turn1", context="The checkout error rate rose to 4% at 09:40 UTC. "
                 "Which dashboards should I look at first?", **conv)
    a1 = "Start with the checkout latency dashboard and the payment-gateway error panel.\n" \
         "The 09:40 cart-service deploy is the most likely trigger."
    m1, _ = gmail(r1, a1, name="Dana Reviewer", date="Wed, 25 Nov 2026 10:05:21 +0000", seed="c1")
    reply1 = gmail_mid("c1")
    r2 = Request("gmail_en_conversation_turn2", context="The 09:40 cart-service deploy lowered the payment "
                 "timeout from 5s to 500ms. Should I roll it back?", **conv)
    a2 = "Yes, roll back cart-service to 4.1.7 and keep me posted."
    m2, _ = gmail(r2, a2, name="Dana Reviewer", date="Wed, 25 Nov 2026 10:19:02 +0000", seed="c2",
                  attribution=f"On Wed, Nov 25, 2026 at 10:12 AM GoHumanLoop <{AGENT}> wrote:",
                  references=[r1.msgid, reply1, r2.msgid])
    reply2 = gmail_mid("c2")
    r3 = Request("gmail_en_conversation_turn3", context="Rolled back to 4.1.7 at 10:21. The error rate is "
                 "0.1% again. Anything else you want me to check?", **conv)
    a3 = "Error rate is back to 0.1%. Thanks, closing this.\n[END CONVERSATION]"
    m3, _ = gmail(r3, a3, name="Dana Reviewer", date="Wed, 25 Nov 2026 10:26:48 +0000", seed="c3",
                  attribution=f"On Wed, Nov 25, 2026 at 10:23 AM GoHumanLoop <{AGENT}> wrote:",
                  references=[r1.msgid, reply1, r2.msgid, reply2, r3.msgid])
    case("gmail_en_conversation_turn1.eml", "Gmail", "en", "conversation", r1, m1,
         {"content": a1, "ended": False},
         note="conversation turn 1 of 3 (thread c-incident-7); the quoted instruction mentions "
              "[END CONVERSATION] — must not count")
    case("gmail_en_conversation_turn2.eml", "Gmail", "en", "conversation", r2, m2,
         {"content": a2, "ended": False},
         note="turn 2: In-Reply-To is the agent's 2nd mail; References also hold turn 1's token "
              "(already answered) and reply 1's id; starts with 'Yes' (irrelevant: not an approval); the quoted "
              "instruction mentions [END CONVERSATION] — must not count")
    case("gmail_en_conversation_turn3.eml", "Gmail", "en", "conversation", r3, m3,
         {"content": a3, "ended": True},
         note="turn 3 ends with [END CONVERSATION] on its own line; References hold all earlier ids")

    # 26 --------------------------------------------------------------- conversation zh, iPhone, 结束对话
    r = Request("iphone_zh_conversation_end", lang="zh", kind="conversation", task="incident-9",
                conversation="c-incident-9", context="结账服务错误率已降到 0.5%，还需要继续观察吗？")
    user = "已经回滚到 4.1.7，错误率恢复正常。[结束对话]"
    text = (f"{user}\n\n> 在 2026年11月25日，10:30，GoHumanLoop <{AGENT}> 写道：\n> \n"
            f"{gt_quote(r.text(), empty='> ')}\n")
    hs = [("Content-Type", "text/plain;\r\n\tcharset=utf-8"),
          ("Content-Transfer-Encoding", "base64"),
          ("From", f"{ew('李娜', 'utf-8')} <{APPROVER}>"),
          ("Mime-Version", "1.0 (1.0)"),
          ("Subject", ew("回复：" + r.subject, "utf-8")),
          ("Date", "Wed, 25 Nov 2026 10:34:09 +0800"),
          ("Message-Id", f"<{apple_uuid('i2')}@ghl.test>"),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid),
          ("To", AGENT_FROM),
          ("X-Mailer", "iPhone Mail (22B91)")]
    case("iphone_zh_conversation_end.eml", "iPhone Mail (zh-CN)", "zh", "conversation", r,
         message(hs, b64(text, "utf-8")), {"content": user, "ended": True},
         note="base64 UTF-8; [结束对话] at the end of the line; `> 在 2026年11月25日，10:30，… 写道：`")

    # 27 --------------------------------------------------------------- different sender
    r = Request("roundcube_spoofed_sender")
    text = ("Decision: approve\nReason: Approved on behalf of the release manager.\n\n"
            f"On 2026-11-25 10:02, GoHumanLoop wrote:\n{gt_quote(r.text())}\n")
    hs = [("MIME-Version", "1.0"),
          ("Date", "Wed, 25 Nov 2026 11:02:40 +0000"),
          ("From", "Approver <mallory@evil.test>"),
          ("To", AGENT),
          ("Subject", f"Re: {r.subject}"),
          ("In-Reply-To", r.msgid),
          ("References", r.msgid),
          ("User-Agent", "Roundcube Webmail/1.6.9"),
          ("Message-ID", f"<{sha('rc1', 32)}@evil.test>"),
          ("X-Sender", "mallory@evil.test"),
          ("Content-Type", "text/plain; charset=US-ASCII;\r\n format=flowed"),
          ("Content-Transfer-Encoding", "7bit")]
    case("roundcube_spoofed_sender.eml", "Roundcube", "en", "approval", r, message(hs, seven(text, "ascii")),
         approval(None, ""), accepted=False,
         note="valid token and a well-formed approval, but From is mallory@evil.test (display name "
              "'Approver') → ignored; decision/reason null/\"\" = nothing recorded")

    # 28 --------------------------------------------------------------- unrelated newsletter
    text = ("SRE Weekly #412\n\n"
            "Yes, you can deploy on Fridays: how three teams made approvals boring.\n\n"
            "Decision records that work: a template you can steal.\n\n"
            "Unsubscribe: https://digest.test/u/7f3a\n")
    html_text = html_doc("<h1>SRE Weekly #412</h1><p><a href=\"https://digest.test/a/1\">Yes, you can deploy on "
                         "Fridays</a>: how three teams made approvals boring.</p><p>Decision records that work: "
                         "a template you can steal.</p><p style=\"font-size:11px\"><a href=\"https://digest.test/u/7f3a\">"
                         "Unsubscribe</a></p>")
    boundary = "b1_digest_8c1f4e2a9d"
    hs = [("Date", "Wed, 25 Nov 2026 09:00:00 +0000"),
          ("From", "SRE Weekly <news@digest.test>"),
          ("To", AGENT),
          ("Subject", "SRE Weekly #412: approvals, rollbacks and Friday deploys"),
          ("Message-ID", "<20261125090000.412.news@digest.test>"),
          ("List-Id", "SRE Weekly <weekly.digest.test>"),
          ("List-Unsubscribe", "<mailto:unsubscribe@digest.test>, <https://digest.test/u/7f3a>"),
          ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
          ("Precedence", "bulk"),
          ("MIME-Version", "1.0"),
          ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    body = multipart(boundary, [leaf("text/plain; charset=utf-8", text, "utf-8", "7bit"),
                                leaf("text/html; charset=utf-8", html_text, "utf-8", "quoted-printable")])
    case("newsletter_no_token.eml", "Mailing list / newsletter", "en", "approval", None, message(hs, body),
         approval(None, ""), accepted=False,
         note="no token anywhere (no In-Reply-To/References, no [#…] in the subject) → matches no request")

    # 29 --------------------------------------------------------------- token only in the subject
    r = Request("applemail_en_subject_token_only")
    text = "Decision: deny\nReason: Budget freeze until January.\n"
    hs = [("From", f"Dana Reviewer <{APPROVER}>"),
          ("Content-Type", "text/plain;\r\n\tcharset=us-ascii"),
          ("Content-Transfer-Encoding", "7bit"),
          ("Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))"),
          ("Subject", f"Re: {r.subject}"),
          ("Message-Id", f"<{apple_uuid('a2')}@ghl.test>"),
          ("Date", "Wed, 25 Nov 2026 12:40:03 +0000"),
          ("To", AGENT_FROM),
          ("X-Mailer", "Apple Mail (2.3826.200.121)")]
    case("applemail_en_subject_token_only.eml", "Apple Mail (macOS), new message", "en", "approval", r,
         message(hs, seven(text, "ascii")), approval("rejected", "Budget freeze until January."),
         note="no In-Reply-To/References (a new message with the subject copied): matched by [#TOKEN] in "
              "the subject; `deny` → rejected; no quote at all")

    # 30 --------------------------------------------------------------- signature containing "no"
    r = Request("gmail_en_signature_no")
    m, _ = gmail(r, "Decision: approve\nReason: Canary metrics look healthy.\n\n-- \nDana Reviewer | SRE\n"
                    "no deploys after 4pm, no exceptions", name="Dana Reviewer",
                 date="Wed, 25 Nov 2026 10:16:30 -0800", seed="g30")
    case("gmail_en_signature_no.eml", "Gmail", "en", "approval", r, m,
         approval("approved", "Canary metrics look healthy."),
         note="signature after '-- ' (says 'no deploys …, no exceptions') is dropped from the reason")

    # 31 --------------------------------------------------------------- Fastmail, bracketed, capitalised
    r = Request("fastmail_en_bracketed")
    user = "Decision: [Approved]\nReason: DB team signed off on the migration."
    text = f"{user}\n\nOn Wed, 25 Nov 2026, at 10:02, GoHumanLoop wrote:\n{gt_quote(r.text())}\n\n"
    html_text = ('<!DOCTYPE html><html><head><title></title><style type="text/css">p.MsoNormal,p.MsoNoSpacing'
                 '{margin:0}</style></head><body>' + divs(user) + '<div><br></div><div>On Wed, 25 Nov 2026, at '
                 '10:02, GoHumanLoop wrote:<br></div><blockquote type="cite" id="qt" style="">' + r.html() +
                 '</blockquote><div><br></div></body></html>\n')
    boundary = sha("fm1", 32)
    hs = [("MIME-Version", "1.0"),
          ("Message-Id", f"<{sha('fm2', 8)}-{sha('fm3', 4)}-{sha('fm4', 4)}-{sha('fm5', 4)}-{sha('fm6', 12)}"
                         "@app.fastmail.com>"),
          ("In-Reply-To", r.msgid),
          ("References", r.msgid),
          ("Date", "Wed, 25 Nov 2026 21:14:55 +1100"),
          ("From", f'"Dana Reviewer" <{APPROVER}>'),
          ("To", f'"GoHumanLoop" <{AGENT}>'),
          ("Subject", f"Re: {r.subject}"),
          ("User-Agent", "Cyrus-JMAP/3.11.0-alpha0-1190-g5fe1d8d5d-fm-20241118.001-g5fe1d8d5"),
          ("Content-Type", f'multipart/alternative;\r\n boundary={boundary}')]
    body = multipart(boundary, [leaf("text/plain", text, "ascii", "7bit"),
                                leaf("text/html", html_text, "ascii", "quoted-printable")])
    case("fastmail_en_bracketed.eml", "Fastmail (web)", "en", "approval", r, message(hs, body),
         approval("approved", "DB team signed off on the migration."),
         note="decision word in brackets and capitalised: `[Approved]`; text/plain without charset (us-ascii)")

    # 32 --------------------------------------------------------------- Exmail, zh, same line
    r = Request("exmail_zh_reject_same_line", lang="zh")
    user = "决定：拒绝 理由：版本号写错了，应该是 2.3.1"
    text = f"{user}\n \n \n{qq_block(r, '赵磊')}{r.text()}"
    html_text = html_doc(f'<div>{esc(user)}</div><div><br></div>{qq_block_html(r, "赵磊")}', "gb18030")
    boundary = "----=_NextPart_6565B1A2_0E3F4A50_1C2D3E4F"
    hs = [("X-QQ-mid", f"bizesmtp{sha('ex1', 24)}"),
          ("X-QQ-Originating-IP", "E9kXUGOy0TA7s9lDh5r5oV0ZdDzVx0sgXU3vQBQf3lI="),
          ("From", f'"{ew("赵磊", "gb18030")}" <{APPROVER}>'),
          ("To", f'"GoHumanLoop" <{AGENT}>'),
          ("Subject", ew("回复：" + r.subject, "gb18030")),
          ("Mime-Version", "1.0"),
          ("Content-Type", f'multipart/alternative;\r\n\tboundary="{boundary}"'),
          ("Content-Transfer-Encoding", "8Bit"),
          ("Date", "Wed, 25 Nov 2026 10:48:17 +0800"),
          ("X-Priority", "3"),
          ("Message-ID", f"<tencent_{sha('ex2', 40).upper()}@ghl.test>"),
          ("X-QQ-MIME", "TCMime 1.0 by Tencent"),
          ("X-Mailer", "QQMail 2.x"),
          ("X-QQ-Mailer", "QQMail 2.x"),
          ("References", r.msgid),
          ("In-Reply-To", r.msgid)]
    body = multipart(boundary, [leaf('text/plain;\r\n\tcharset="gb18030"', text, "gb18030", "base64"),
                                leaf('text/html;\r\n\tcharset="gb18030"', html_text, "gb18030", "base64")],
                     preamble="This is a multi-part message in MIME format.\r\n")
    case("exmail_zh_reject_same_line.eml", "Tencent Exmail (web)", "zh", "approval", r, message(hs, body),
         approval("rejected", "版本号写错了，应该是 2.3.1"),
         note="decision and reason on one line: `决定：拒绝 理由：…`; GB18030 base64; 原始邮件 block")

    # 33 --------------------------------------------------------------- 163, zh, markers kept
    r = Request("netease163_zh_markers_filled", lang="zh")
    user = ("按模板填好了：\n" + T["zh"]["start"] + "\n决定：拒绝\n理由：依赖的 redis 集群还在扩容，今晚再发。\n"
            + T["zh"]["end"])
    m, _ = netease163(r, user, name="王芳", date="Wed, 25 Nov 2026 10:55:41 +0800 (CST)", seed="n2",
                      charset="UTF-8", codec="utf-8")
    case("netease163_zh_markers_filled.eml", "NetEase 163 Mail (web)", "zh", "approval", r, m,
         approval("rejected", "依赖的 redis 集群还在扩容，今晚再发。"),
         note="zh template copied and filled inside the markers (line above them ignored); UTF-8 base64; "
              "`---- Replied Message ----`")


def main():
    build()
    for name in os.listdir(HERE):
        if name.endswith(".eml"):
            os.remove(os.path.join(HERE, name))
    for file, body, _ in CASES:
        with open(os.path.join(HERE, file), "wb") as f:
            f.write(body)
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump([e for _, _, e in CASES], f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(CASES)} messages and cases.json to {HERE}")


if __name__ == "__main__":
    main()
