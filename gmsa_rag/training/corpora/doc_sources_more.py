"""The second survey of Debian documentation packages (2026-12-01): what the first 83 sources
(:mod:`~gmsa_rag.training.corpora.doc_sources`) left out.

GNU Texinfo manuals, man pages of tools and libraries (Perl modules, Tcl/Tk, OpenSSL, curl,
X11, FreeBSD), Sphinx manuals of Python libraries and OpenStack services, hand-written
manuals and books (Vim, Kerberos, HAProxy, the Advanced Bash-Scripting Guide, C++
Annotations), the Qt 5 modules beyond qtbase, and, last, API references whose pages are
mostly signatures (the prose filter keeps what prose they have); then five manuals of a third
look (session 8: Icinga 2, Qt Creator, SCons, Borg, Django REST framework). Small packages of one kind
are bundled into one source. Each comment gives the survey's estimate of prose words before
the filters (from a few sampled pages per kind) and the bookworm ``.deb`` size; the build's
``docs_card.json`` has the measured counts.
"""

from __future__ import annotations

from gmsa_rag.training.corpora.doc_spec import DOXYGEN_JUNK, INFO_FILES, MAN_PAGES, NOTES_JUNK, SPHINX_JUNK, DocSource

MORE_SOURCES: tuple[DocSource, ...] = (
    # gnu-info-more: ~3.51M words, .deb 93.4 MB — many GNU/Texinfo manuals
    DocSource("gnu-info-more", (
               "binutils-doc",  # 210k words, .deb 0.7 MB
               "guile-3.0-doc",  # 274k words, .deb 1.0 MB
               "gnuastro",  # 292k words, .deb 2.1 MB
               "gnulib",  # 121k words, .deb 6.1 MB
               "texinfo",  # 94k words, .deb 1.8 MB
               "autoconf-doc",  # 116k words, .deb 2.9 MB
               "automake",  # 71k words, .deb 0.8 MB
               "libtool-doc",  # 36k words, .deb 0.6 MB
               "mailutils-doc",  # 57k words, .deb 0.8 MB
               "groff",  # 63k words, .deb 3.4 MB
               "gnucobol3",  # 18k words, .deb 1.0 MB
               "gnupg",  # 60k words, .deb 0.8 MB
               "gettext",  # 85k words, .deb 1.3 MB
               "m4",  # 37k words, .deb 0.3 MB
               "flex",  # 36k words, .deb 0.4 MB
               "cvs",  # 68k words, .deb 2.8 MB
               "xorriso",  # 54k words, .deb 0.3 MB
               "gcal-common",  # 64k words, .deb 0.7 MB
               "pspp",  # 113k words, .deb 5.9 MB
               "gnugo",  # 63k words, .deb 1.5 MB
               "openocd",  # 63k words, .deb 3.5 MB
               "autoconf-archive",  # 67k words, .deb 0.8 MB
               "plotutils",  # 51k words, .deb 0.6 MB
               "sbcl-doc",  # 67k words, .deb 1.5 MB
               "auctex",  # 54k words, .deb 1.2 MB
               "shishi-doc",  # 54k words, .deb 1.9 MB
               "texlive-binaries",  # 62k words, .deb 10.5 MB
               "grub2-common",  # 46k words, .deb 0.6 MB
               "libgpgme-dev",  # 39k words, .deb 0.5 MB
               "elpa-magit",  # 42k words, .deb 0.4 MB
               "screen",  # 29k words, .deb 0.6 MB
               "a2ps",  # 32k words, .deb 0.6 MB
               "wget",  # 26k words, .deb 0.9 MB
               "recode",  # 29k words, .deb 0.2 MB
               "recutils",  # 24k words, .deb 0.3 MB
               "gperf",  # 11k words, .deb 0.1 MB
               "libgcrypt20-doc",  # 31k words, .deb 1.0 MB
               "nettle-dev",  # 25k words, .deb 1.2 MB
               "libmpfr-doc",  # 24k words, .deb 1.0 MB
               "aspell-doc",  # 36k words, .deb 0.2 MB
               "units",  # 20k words, .deb 0.3 MB
               "dejagnu",  # 23k words, .deb 1.0 MB
               "mu4e",  # 24k words, .deb 0.2 MB
               "libunistring-dev",  # 24k words, .deb 0.6 MB
               "elpa-ess",  # 24k words, .deb 1.2 MB
               "rush",  # 16k words, .deb 0.3 MB
               "libassuan-dev",  # 16k words, .deb 0.1 MB
               "libksba-dev",  # 9k words, .deb 0.2 MB
               "gsasl-doc",  # 18k words, .deb 0.4 MB
               "ledger",  # 38k words, .deb 2.1 MB
               "festival-doc",  # 56k words, .deb 0.8 MB
               "asymptote-doc",  # 49k words, .deb 3.3 MB
               "knot-doc",  # 41k words, .deb 0.3 MB
               "frr-doc",  # 118k words, .deb 1.8 MB
               "mailfromd-doc",  # 82k words, .deb 2.0 MB
               "heimdal-docs",  # 17k words, .deb 0.1 MB
               "global",  # 13k words, .deb 0.5 MB
               "slime",  # 14k words, .deb 1.2 MB
               "elpa-evil",  # 9k words, .deb 0.2 MB
               "elpa-haskell-mode",  # 9k words, .deb 0.2 MB
               "elpa-ivy",  # 6k words, .deb 0.1 MB
               "mtools",  # 12k words, .deb 0.2 MB
               "rcs",  # 12k words, .deb 0.2 MB
               "libtasn1-doc",  # 8k words, .deb 0.3 MB
               "gzip",  # 6k words, .deb 0.1 MB
               "sharutils",  # 9k words, .deb 0.3 MB
               "ed",  # 8k words, .deb 0.1 MB
               "parted-doc",  # 7k words, .deb 0.2 MB
               "nano",  # 8k words, .deb 0.7 MB
               "wdiff",  # 2k words, .deb 0.1 MB
               "bc",  # 4k words, .deb 0.1 MB
               "elpa-use-package",  # 4k words, .deb 0.1 MB
               "enscript",  # 4k words, .deb 0.4 MB
               "msc-generator-doc",  # 51k words, .deb 10.6 MB
              ), "info", INFO_FILES),
    # perl-module-man: ~2.76M words, .deb 25.5 MB — CPAN module manuals (3pm) from 36 packages
    DocSource("perl-module-man", (
               "libbio-perl-perl",  # 455k words, .deb 2.6 MB
               "pdl",  # 203k words, .deb 4.4 MB
               "libperl-critic-perl",  # 170k words, .deb 0.8 MB
               "perl-tk",  # 136k words, .deb 2.0 MB
               "libmoose-perl",  # 126k words, .deb 0.8 MB
               "libmojolicious-perl",  # 117k words, .deb 0.9 MB
               "libdbix-class-perl",  # 107k words, .deb 0.8 MB
               "spamassassin",  # 95k words, .deb 1.3 MB
               "libdbi-perl",  # 86k words, .deb 0.8 MB
               "libtemplate-perl",  # 78k words, .deb 0.6 MB
               "libtest2-suite-perl",  # 78k words, .deb 0.4 MB
               "libdist-zilla-perl",  # 79k words, .deb 0.4 MB
               "librose-db-object-perl",  # 78k words, .deb 0.5 MB
               "libmail-box-perl",  # 68k words, .deb 0.4 MB
               "libcatalyst-manual-perl",  # 65k words, .deb 0.4 MB
               "libdancer2-perl",  # 66k words, .deb 0.4 MB
               "libexcel-writer-xlsx-perl",  # 60k words, .deb 0.5 MB
               "libpoe-perl",  # 61k words, .deb 0.5 MB
               "libimager-perl",  # 60k words, .deb 0.8 MB
               "libtype-tiny-perl",  # 54k words, .deb 0.4 MB
               "libcatalyst-perl",  # 55k words, .deb 0.4 MB
               "libanyevent-perl",  # 52k words, .deb 0.4 MB
               "libnet-ldap-perl",  # 53k words, .deb 0.4 MB
               "libspreadsheet-writeexcel-perl",  # 46k words, .deb 0.5 MB
               "libhtml-mason-perl",  # 46k words, .deb 0.4 MB
               "libglib-perl",  # 39k words, .deb 0.3 MB
               "libmime-tools-perl",  # 28k words, .deb 0.2 MB
               "libxml-compile-perl",  # 25k words, .deb 0.2 MB
               "libmason-perl",  # 25k words, .deb 0.1 MB
               "libsoap-lite-perl",  # 27k words, .deb 0.2 MB
               "libcoro-perl",  # 26k words, .deb 0.2 MB
               "libpdf-api2-perl",  # 27k words, .deb 1.3 MB
               "perltidy",  # 21k words, .deb 0.5 MB
               "libcgi-pm-perl",  # 19k words, .deb 0.2 MB
               "libxml-twig-perl",  # 14k words, .deb 0.2 MB
               "libdevel-nytprof-perl",  # 14k words, .deb 0.3 MB
              ), "man", MAN_PAGES),
    # python-misc-docs: ~1.53M words, .deb 32.8 MB — 32 small Python-library Sphinx manuals bundled
    DocSource("python-misc-docs", (
               "python-requests-doc",  # 15k words, .deb 0.2 MB
               "python-setuptools-doc",  # 38k words, .deb 0.5 MB
               "python-pygments-doc",  # 40k words, .deb 0.5 MB
               "python-aiohttp-doc",  # 41k words, .deb 0.3 MB
               "python-hypothesis-doc",  # 23k words, .deb 0.5 MB
               "python-cryptography-doc",  # 69k words, .deb 0.4 MB
               "python-peewee-doc",  # 67k words, .deb 0.5 MB
               "python-pyparsing-doc",  # 33k words, .deb 1.5 MB
               "python-mpmath-doc",  # 73k words, .deb 1.9 MB
               "python-h5py-doc",  # 31k words, .deb 0.2 MB
               "python-pymongo-doc",  # 62k words, .deb 0.4 MB
               "python-sortedcontainers-doc",  # 18k words, .deb 16.0 MB
               "python-pint-doc",  # 25k words, .deb 0.3 MB
               "python-urwid-doc",  # 30k words, .deb 0.5 MB
               "python-bs4-doc",  # 9k words, .deb 0.2 MB
               "python-webob-doc",  # 36k words, .deb 0.2 MB
               "python-bottle-doc",  # 19k words, .deb 0.2 MB
               "python-coverage-doc",  # 13k words, .deb 0.3 MB
               "python-markdown-doc",  # 14k words, .deb 0.1 MB
               "python-mako-doc",  # 17k words, .deb 0.2 MB
               "python-eventlet-doc",  # 17k words, .deb 0.2 MB
               "python-pexpect-doc",  # 8k words, .deb 0.1 MB
               "python-pyopencl-doc",  # 33k words, .deb 0.3 MB
               "python-black-doc",  # 13k words, .deb 0.4 MB
               "cython-doc",  # 41k words, .deb 0.6 MB
               "pybind11-doc",  # 35k words, .deb 0.4 MB
               "python3-cassandra-doc",  # 54k words, .deb 0.5 MB
               "python3-aioxmpp-doc",  # 93k words, .deb 0.7 MB
               "python-discord-doc",  # 196k words, .deb 1.3 MB
               "python-can-doc",  # 43k words, .deb 1.1 MB
               "python-pwntools-doc",  # 107k words, .deb 0.3 MB
               "python-nipy-doc",  # 213k words, .deb 2.1 MB
              ), "html", ("usr/share/doc/*.html",), SPHINX_JUNK + ("*/html.*/*", "*.pl.html", "*/release.html",
              "*/examples/*", "*/change_log/*", "*/404.html") + NOTES_JUNK),
    # tcl-tk-man: ~1.31M words, .deb 9.0 MB — Tcl/Tk and Tcllib/Tklib man pages
    DocSource("tcl-tk-man", (
               "tcl8.6-doc",  # 324k words, .deb 1.7 MB
               "tk8.6-doc",  # 245k words, .deb 1.2 MB
               "tcllib",  # 662k words, .deb 4.6 MB
               "tklib",  # 79k words, .deb 1.4 MB
              ), "man", MAN_PAGES),
    # admin-man-pages: ~1.29M words, .deb 51.2 MB — system tools' man pages (generic Linux, not Debian-specific)
    DocSource("admin-man-pages", (
               "systemd",  # 218k words, .deb 3.0 MB
               "util-linux",  # 49k words, .deb 1.2 MB
               "procps",  # 23k words, .deb 0.7 MB
               "iproute2",  # 83k words, .deb 1.0 MB
               "lvm2",  # 75k words, .deb 1.2 MB
               "mdadm",  # 17k words, .deb 0.4 MB
               "btrfs-progs",  # 29k words, .deb 0.8 MB
               "e2fsprogs",  # 22k words, .deb 0.6 MB
               "xfsprogs",  # 23k words, .deb 1.0 MB
               "nftables",  # 10k words, .deb 0.1 MB
               "iptables",  # 21k words, .deb 0.4 MB
               "rsync",  # 28k words, .deb 0.4 MB
               "tmux",  # 13k words, .deb 0.5 MB
               "openssh-client",  # 21k words, .deb 1.0 MB
               "smbclient",  # 15k words, .deb 0.4 MB
               "lxc",  # 20k words, .deb 2.7 MB
               "openvpn",  # 25k words, .deb 0.7 MB
               "slapd",  # 61k words, .deb 1.4 MB
               "cryptsetup-bin",  # 29k words, .deb 0.5 MB
               "nfs-common",  # 16k words, .deb 0.3 MB
               "curl",  # 17k words, .deb 0.3 MB
               "lsof",  # 11k words, .deb 0.3 MB
               "strace",  # 5k words, .deb 1.3 MB
               "bpftrace",  # 17k words, .deb 0.9 MB
               "unbound",  # 17k words, .deb 1.0 MB
               "dnsmasq-base",  # 13k words, .deb 0.5 MB
               "chrony",  # 19k words, .deb 0.3 MB
               "collectd-core",  # 61k words, .deb 1.3 MB
               "rrdtool",  # 48k words, .deb 0.5 MB
               "podman",  # 82k words, .deb 10.7 MB
               "buildah",  # 20k words, .deb 6.1 MB
               "mpv",  # 65k words, .deb 1.2 MB
               "nmap",  # 24k words, .deb 1.9 MB
               "mercurial-common",  # 53k words, .deb 2.8 MB
               "trafficserver",  # 35k words, .deb 3.8 MB
              ), "man", MAN_PAGES),
    # qt5-docs: ~1.26M words, .deb 53.4 MB — Qt 5 module docs beyond qtbase (QML, Qt Quick, 3D, Multimedia...)
    DocSource("qt5-docs", (
               "qt5-doc-html",  # 272k words, .deb 5.1 MB
               "qtdeclarative5-doc-html",  # 228k words, .deb 8.8 MB
               "qt3d5-doc-html",  # 159k words, .deb 2.4 MB
               "qtmultimedia5-doc-html",  # 88k words, .deb 1.3 MB
               "qtquickcontrols2-5-doc-html",  # 66k words, .deb 4.8 MB
               "qtcharts5-doc-html",  # 56k words, .deb 4.1 MB
               "qtwebengine5-doc-html",  # 109k words, .deb 1.2 MB
               "qttools5-doc-html",  # 56k words, .deb 3.2 MB
               "qtlocation5-doc-html",  # 79k words, .deb 2.0 MB
               "qtconnectivity5-doc-html",  # 37k words, .deb 2.0 MB
               "qtxmlpatterns5-doc-html",  # 16k words, .deb 0.6 MB
               "qtsensors5-doc-html",  # 29k words, .deb 1.6 MB
               "qtdatavisualization5-doc-html",  # 51k words, .deb 3.3 MB
               "qtgraphicaleffects5-doc-html",  # 15k words, .deb 13.0 MB
              ), "html", ("usr/share/qt5/doc/*.html",), ("*-members.html", "*-obsolete.html", "*-attribution-*.html",
              "*-module.html", "*/index.html", "*-example.html", "*/licenses-used-in-qt.html",
              "*/license-changes.html") + NOTES_JUNK),
    # statsmodels-doc: ~1.08M words, .deb 37.0 MB — Sphinx; 5.7k autosummary pages (docstrings) + examples notebooks
    DocSource("statsmodels-doc", ("python-statsmodels-doc",), "html",
              ("usr/share/doc/python-statsmodels-doc/html/*.html",), SPHINX_JUNK + ("*/release/*",) + NOTES_JUNK),
    # api-man-pages: ~992k words, .deb 9.1 MB — library API man pages (curl, Xlib, MPI, SystemTap tapsets...)
    DocSource("api-man-pages", (
               "libcurl4-doc",  # 203k words, .deb 1.1 MB
               "libx11-doc",  # 227k words, .deb 2.2 MB
               "mpich-doc",  # 229k words, .deb 1.1 MB
               "systemtap-doc",  # 174k words, .deb 2.6 MB
               "shishi-doc",  # 148k words, .deb 1.9 MB
               "libwayland-doc",  # 10k words, .deb 0.2 MB
              ), "man", MAN_PAGES),
    # freebsd-manpages: ~920k words, .deb 3.3 MB — FreeBSD section 2/3/4/5/9 man pages (English; BSD-specific APIs)
    DocSource("freebsd-manpages", ("freebsd-manpages",), "man", MAN_PAGES),
    # openssl-man: ~608k words, .deb 2.4 MB — OpenSSL API man pages (man3/man7)
    DocSource("openssl-man", ("libssl-doc",), "man", MAN_PAGES),
    # vim-doc: ~579k words, .deb 2.4 MB — Vim's :help files as HTML: dense reference prose
    DocSource("vim-doc", ("vim-doc",), "html-pre", ("usr/share/doc/vim/html/*.html",), ("*/vim-policy.html/*",
              "*/version[4-9]*.html", "*/todo.html", "*/vimindex.html", "*/index.html", "*/tags.html",
              "*/quickref.html") + NOTES_JUNK),
    # pike-manual: ~575k words, .deb 6.1 MB — Pike language manual (chapters)
    DocSource("pike-manual", ("pike8.0-doc",), "html", ("usr/share/doc/pike8.0-doc/html/manual/*.html",), NOTES_JUNK),
    # small-manuals-html: ~567k words, .deb 41.4 MB — 10 small hand-written manuals bundled
    DocSource("small-manuals-html", (
               "phylip-doc",  # 54k words, .deb 0.5 MB
               "gtkmm-documentation",  # 64k words, .deb 1.8 MB
               "kicad-doc-en",  # 62k words, .deb 15.0 MB
               "python-biopython-doc",  # 62k words, .deb 16.1 MB
               "libwayland-doc",  # 28k words, .deb 0.2 MB
               "pcb-rnd-doc",  # 47k words, .deb 1.4 MB
               "asciidoctor-doc",  # 143k words, .deb 0.4 MB
               "dynare-doc",  # 106k words, .deb 6.0 MB
              ), "html", ("usr/share/doc/phylip/html/doc/*.html",
              "usr/share/doc/gtkmm-documentation/tutorial/html/*.html", "usr/share/doc/kicad/help/en/*.html",
              "usr/share/doc/python-biopython-doc/Doc/*.html", "usr/share/doc/wayland/Wayland/en-US/*.html",
              "usr/share/doc/pcb-rnd/*.html", "usr/share/doc/asciidoctor-doc/html/*.html",
              "usr/share/doc/dynare/dynare-manual.html/*.html"), SPHINX_JUNK + NOTES_JUNK),
    # pylint-doc: ~532k words, .deb 0.8 MB — Sphinx; one page per checker message (repetitive nav)
    DocSource("pylint-doc", ("pylint-doc",), "html", ("usr/share/doc/pylint/html/*.html",),
              SPHINX_JUNK + ("*/whatsnew/*",) + NOTES_JUNK),
    # x11-docs: ~516k words, .deb 3.8 MB — Xlib, Xt, ICCCM, XLFD etc. specs (DocBook)
    DocSource("x11-docs", (
               "libx11-doc",  # 324k words, .deb 2.2 MB
               "libxt-doc",  # 116k words, .deb 0.4 MB
               "xorg-docs",  # 76k words, .deb 1.2 MB
              ), "html", ("usr/share/doc/libx11-dev/*.html", "usr/share/doc/libxt-dev/*.html",
              "usr/share/doc/xorg-docs/*.html"), ("*/i18n/compose/*",) + NOTES_JUNK),
    # dask-doc: ~508k words, .deb 9.7 MB — Sphinx; generated/ pages are numpy-derived docstrings
    DocSource("dask-doc", ("python-dask-doc",), "html", ("usr/share/doc/python-dask-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # openstack-misc-doc: ~484k words, .deb 21.6 MB — 15 small OpenStack Sphinx docs bundled
    DocSource("openstack-misc-doc", (
               "freezer-doc",  # 19k words, .deb 1.4 MB
               "murano-doc",  # 82k words, .deb 5.1 MB
               "senlin-doc",  # 51k words, .deb 1.2 MB
               "watcher-doc",  # 43k words, .deb 1.6 MB
               "barbican-doc",  # 38k words, .deb 1.2 MB
               "trove-doc",  # 35k words, .deb 1.1 MB
               "vitrage-doc",  # 34k words, .deb 2.2 MB
               "placement-doc",  # 30k words, .deb 1.1 MB
               "ceilometer-doc",  # 27k words, .deb 1.3 MB
               "masakari-doc",  # 19k words, .deb 1.1 MB
               "aodh-doc",  # 16k words, .deb 1.0 MB
               "sahara-doc",  # 22k words, .deb 0.3 MB
               "python-keystoneauth1-doc",  # 47k words, .deb 1.0 MB
               "python-novaclient-doc",  # 9k words, .deb 1.1 MB
               "python-oslo.config-doc",  # 12k words, .deb 1.0 MB
              ), "html", ("usr/share/doc/*-doc/html/*.html",), SPHINX_JUNK + ("*/contributor/api/*", "*/reference/api/*",
              "*/api/autoindex.html") + NOTES_JUNK),
    # nim-doc: ~476k words, .deb 1.4 MB — Nim manual + stdlib reference (module pages are API-ish)
    DocSource("nim-doc", ("nim-doc",), "html", ("usr/share/doc/nim/html/*.html",), ("*/theindex.html",
              "*/lib.html") + NOTES_JUNK),
    # starjava-docs: ~467k words, .deb 9.4 MB — TOPCAT (SUN/253) and STILTS (SUN/256) manuals
    DocSource("starjava-docs", (
               "topcat-doc",  # 273k words, .deb 7.2 MB
               "stilts-doc",  # 194k words, .deb 2.3 MB
              ), "html", ("usr/share/doc/topcat/sun253/*.html", "usr/share/doc/stilts/sun256/*.html"), NOTES_JUNK),
    # mutt-manuals: ~384k words, .deb 3.8 MB — NeoMutt and Mutt manuals (mostly the same text: dedup will drop overlap)
    DocSource("mutt-manuals", (
               "neomutt",  # 223k words, .deb 2.0 MB
               "mutt",  # 160k words, .deb 1.9 MB
              ), "html", ("usr/share/doc/neomutt/html/*.html", "usr/share/doc/mutt/html/*.html"), NOTES_JUNK),
    # mdanalysis-doc: ~332k words, .deb 2.4 MB — Sphinx; long module docs
    DocSource("mdanalysis-doc", ("python-mdanalysis-doc",), "html",
              ("usr/share/doc/python-mdanalysis-doc/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # c++-annotations: ~323k words, .deb 0.8 MB — C++ Annotations book (Brokken)
    DocSource("c++-annotations", ("c++-annotations-html",), "html", ("usr/share/doc/c++-annotations/html/*.html",),
              ("*/cppindex.html",) + NOTES_JUNK),
    # swig-doc: ~317k words, .deb 4.2 MB — SWIG manual (hand HTML, dense)
    DocSource("swig-doc", ("swig4.0-doc",), "html", ("usr/share/doc/swig4.0-doc/Manual/*.html",),
              ("*/Manual/index.html", "*/Manual/Contents.html") + NOTES_JUNK),
    # openstackclient-doc: ~294k words, .deb 1.8 MB — OpenStack CLI reference (Sphinx)
    DocSource("openstackclient-doc", ("python-openstackclient-doc",), "html",
              ("usr/share/doc/python-openstackclient-doc/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # silx-doc: ~262k words, .deb 15.3 MB — Sphinx
    DocSource("silx-doc", ("python-silx-doc",), "html", ("usr/share/doc/python3-silx/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # groonga-doc: ~246k words, .deb 2.3 MB — Sphinx; en/ only (ja/ skipped); heavy nav per page
    DocSource("groonga-doc", ("groonga-doc",), "html", ("usr/share/doc/groonga-doc/en/html/*.html",),
              SPHINX_JUNK + ("*/news.html", "*/news/*") + NOTES_JUNK),
    # postgis-doc: ~234k words, .deb 2.7 MB — PostGIS manual single page
    DocSource("postgis-doc", ("postgis-doc",), "html", ("usr/share/doc/postgis-doc/*.html",), NOTES_JUNK),
    # mh-book: ~233k words, .deb 1.8 MB — MH & xmh: Email for Users & Programmers (book)
    DocSource("mh-book", ("mh-book",), "html", ("usr/share/doc/mh-book/html/*.html",), ("*/html/index/*",) + NOTES_JUNK),
    # abs-guide: ~222k words, .deb 1.1 MB — Advanced Bash-Scripting Guide
    DocSource("abs-guide", ("abs-guide",), "html", ("usr/share/doc/abs-guide/html/*.html",), ("*/revisionhistory.html",
              "*/xrefindex.html") + NOTES_JUNK),
    # krb5-doc: ~219k words, .deb 2.8 MB — MIT Kerberos Sphinx docs; appdev/refs is API
    DocSource("krb5-doc", ("krb5-doc",), "html", ("usr/share/doc/krb5-doc/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # ezdxf-doc: ~214k words, .deb 8.5 MB — Sphinx
    DocSource("ezdxf-doc", ("python-ezdxf-doc",), "html", ("usr/share/doc/python-ezdxf-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # haproxy-doc: ~206k words, .deb 0.8 MB — HAProxy configuration/management manuals (3 huge pages)
    DocSource("haproxy-doc", ("haproxy-doc",), "html-pre", ("usr/share/doc/haproxy/html/*.html",), NOTES_JUNK),
    # fonttools-doc: ~205k words, .deb 1.8 MB — Sphinx
    DocSource("fonttools-doc", ("python-fonttools-doc",), "html", ("usr/share/doc/fonttools/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # kitty-doc: ~199k words, .deb 1.8 MB — Sphinx (furo)
    DocSource("kitty-doc", ("kitty-doc",), "html", ("usr/share/doc/kitty/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # translate-toolkit-doc: ~197k words, .deb 0.7 MB — Sphinx
    DocSource("translate-toolkit-doc", ("translate-toolkit-doc",), "html",
              ("usr/share/doc/translate-toolkit/html/*.html",), SPHINX_JUNK + ("*/releases/*",) + NOTES_JUNK),
    # weechat-doc: ~196k words, .deb 1.2 MB — WeeChat user/dev/API/FAQ (English pages only)
    DocSource("weechat-doc", ("weechat-doc",), "html", ("usr/share/doc/weechat-doc/html/*.en.html",), NOTES_JUNK),
    # slurm-doc: ~188k words, .deb 1.8 MB — Slurm docs (hand HTML)
    DocSource("slurm-doc", ("slurm-wlm-doc",), "html", ("usr/share/doc/slurm-wlm/html/*.html",), ("*/publications.html",
              "*/team.html", "*/man_index.html", "*/openapi_release_notes.html") + NOTES_JUNK),
    # open3d-doc: ~185k words, .deb 36.7 MB — Sphinx python docs only (cpp/ doxygen skipped)
    DocSource("open3d-doc", ("open3d-doc",), "html", ("usr/share/doc/open3d-doc/python/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # snd-doc: ~184k words, .deb 7.8 MB — Snd sound editor manual
    DocSource("snd-doc", ("snd-doc",), "html", ("usr/share/doc/snd/HTML/*.html",), NOTES_JUNK),
    # knot-resolver-doc: ~181k words, .deb 3.2 MB — Knot Resolver (Sphinx)
    DocSource("knot-resolver-doc", ("knot-resolver-doc",), "html", ("usr/share/doc/knot-resolver/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # pallets-docs: ~179k words, .deb 1.9 MB — Flask, Werkzeug, Jinja, Click (Sphinx)
    DocSource("pallets-docs", (
               "python-flask-doc",  # 67k words, .deb 0.7 MB
               "python-werkzeug-doc",  # 48k words, .deb 0.7 MB
               "python-jinja2-doc",  # 32k words, .deb 0.2 MB
               "python-click-doc",  # 32k words, .deb 0.3 MB
              ), "html", ("usr/share/doc/python-*-doc/html/*.html",), SPHINX_JUNK + ("*/changes.html",
              "*/changelog.html") + NOTES_JUNK),
    # ns3-doc: ~179k words, .deb 22.6 MB — ns-3 manual, models, tutorial (Sphinx)
    DocSource("ns3-doc", ("ns3-doc",), "html", ("usr/share/doc/ns3/*/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # ase-doc: ~176k words, .deb 5.8 MB — Sphinx
    DocSource("ase-doc", ("python-ase-doc",), "html", ("usr/share/doc/python-ase-doc/html/*.html",),
              SPHINX_JUNK + ("*/releasenotes.html",) + NOTES_JUNK),
    # cmucl-docs: ~176k words, .deb 2.3 MB — CMUCL user manual
    DocSource("cmucl-docs", ("cmucl-docs",), "html", ("usr/share/doc/cmucl-docs/*.html",), ("*/examples/*",) + NOTES_JUNK),
    # skimage-doc: ~175k words, .deb 45.5 MB — Sphinx; auto_examples gallery
    DocSource("skimage-doc", ("python-skimage-doc",), "html", ("usr/share/doc/python-skimage-doc/html/*.html",),
              SPHINX_JUNK + ("*/api_changes.html",) + NOTES_JUNK),
    # nipype-doc: ~172k words, .deb 1.3 MB — Sphinx; interface API pages
    DocSource("nipype-doc", ("python-nipype-doc",), "html", ("usr/share/doc/python3-nipype/html/*.html",),
              SPHINX_JUNK + ("*/changelog/*", "*/searchresults.html") + NOTES_JUNK),
    # swift-doc: ~170k words, .deb 2.3 MB — OpenStack Swift (Sphinx)
    DocSource("swift-doc", ("swift-doc",), "html", ("usr/share/doc/swift-doc/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # rdflib-doc: ~169k words, .deb 1.1 MB — Sphinx; apidocs large
    DocSource("rdflib-doc", ("python-rdflib-doc",), "html", ("usr/share/doc/python-rdflib-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # manila-doc: ~167k words, .deb 2.0 MB — OpenStack Sphinx
    DocSource("manila-doc", ("manila-doc",), "html", ("usr/share/doc/manila-doc/html/*.html",),
              SPHINX_JUNK + ("*/contributor/api/*",) + NOTES_JUNK),
    # cdist-doc: ~166k words, .deb 0.3 MB — Sphinx; man7/ type reference
    DocSource("cdist-doc", ("cdist-doc",), "html", ("usr/share/doc/cdist/html/*.html",),
              SPHINX_JUNK + ("*/cdist-changelog*.html",) + NOTES_JUNK),
    # celery-doc: ~162k words, .deb 1.7 MB — Sphinx
    DocSource("celery-doc", ("python-celery-doc",), "html", ("usr/share/doc/python-celery-doc/html/*.html",),
              SPHINX_JUNK + ("*/history/*",) + NOTES_JUNK),
    # gmsh-doc: ~162k words, .deb 4.4 MB — Gmsh reference manual (texinfo HTML single page)
    DocSource("gmsh-doc", ("gmsh-doc",), "html", ("usr/share/doc/gmsh-doc/doc/gmsh/*.html",), NOTES_JUNK),
    # brian-doc: ~160k words, .deb 1.5 MB — Sphinx
    DocSource("brian-doc", ("python-brian-doc",), "html", ("usr/share/doc/python-brian-doc/docs/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # gnutls-doc: ~152k words, .deb 4.8 MB — GnuTLS manual (info); html/ and api-reference duplicate it
    DocSource("gnutls-doc", ("gnutls-doc",), "info", INFO_FILES),
    # libstdcxx-manual: ~152k words, .deb 10.2 MB — libstdc++ manual (user/ doxygen skipped)
    DocSource("libstdcxx-manual", ("libstdc++-12-doc",), "html", ("usr/share/doc/gcc-12-base/libstdc++/manual/*.html",),
              NOTES_JUNK),
    # ncurses-doc: ~151k words, .deb 0.9 MB — ncurses man pages + hackguide as HTML
    DocSource("ncurses-doc", ("ncurses-doc",), "html", ("usr/share/doc/ncurses-doc/html/*.html",), NOTES_JUNK),
    # sfepy-doc: ~148k words, .deb 12.5 MB — Sphinx; src/ autodoc
    DocSource("sfepy-doc", ("python-sfepy-doc",), "html", ("usr/share/doc/python-sfepy-doc/html/*.html",),
              SPHINX_JUNK + ("*/archived_news.html", "*/release_tasks.html") + NOTES_JUNK),
    # ant-manual: ~147k words, .deb 2.2 MB — Apache Ant manual (api/ javadoc skipped)
    DocSource("ant-manual", ("ant-doc",), "html", ("usr/share/doc/ant/manual/*.html",), NOTES_JUNK),
    # pydicom-doc: ~146k words, .deb 0.9 MB — Sphinx; reference/ autosummary pages
    DocSource("pydicom-doc", ("python-pydicom-doc",), "html", ("usr/share/doc/python-pydicom-doc/html/*.html",),
              SPHINX_JUNK + ("*/release_notes/*",) + NOTES_JUNK),
    # skbio-doc: ~145k words, .deb 1.1 MB — Sphinx; generated/ autosummary
    DocSource("skbio-doc", ("python-skbio-doc",), "html", ("usr/share/doc/python-skbio-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # openstacksdk-doc: ~127k words, .deb 1.3 MB — OpenStack SDK (Sphinx, much autodoc)
    DocSource("openstacksdk-doc", ("python-openstacksdk-doc",), "html",
              ("usr/share/doc/python-openstacksdk-doc/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # ganeti-doc: ~124k words, .deb 1.0 MB — Sphinx: admin guide + design docs
    DocSource("ganeti-doc", ("ganeti-doc",), "html", ("usr/share/doc/ganeti/html/*.html",),
              SPHINX_JUNK + ("*/news.html",) + NOTES_JUNK),
    # nibabel-doc: ~123k words, .deb 1.7 MB — Sphinx
    DocSource("nibabel-doc", ("python-nibabel-doc",), "html", ("usr/share/doc/python-nibabel-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # slixmpp-doc: ~122k words, .deb 0.6 MB — Sphinx; XMPP library
    DocSource("slixmpp-doc", ("python-slixmpp-doc",), "html", ("usr/share/doc/python-slixmpp-doc/html/*.html",),
              SPHINX_JUNK + ("*.pl.html",) + NOTES_JUNK),
    # mailman3-doc: ~118k words, .deb 0.5 MB — Sphinx
    DocSource("mailman3-doc", ("mailman3-doc",), "html", ("usr/share/doc/mailman3/html/*.html",),
              SPHINX_JUNK + ("*/NEWS.html",) + NOTES_JUNK),
    # graphicsmagick-doc: ~114k words, .deb 1.0 MB — GraphicsMagick HTML docs
    DocSource("graphicsmagick-doc", ("graphicsmagick",), "html", ("usr/share/doc/graphicsmagick/www/*.html",),
              ("*/ChangeLog*.html", "*/NEWS.html", "*/api/*") + NOTES_JUNK),
    # xonsh-doc: ~113k words, .deb 0.9 MB — Sphinx
    DocSource("xonsh-doc", ("xonsh-doc",), "html", ("usr/share/doc/xonsh-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # lemonldap-ng-doc: ~112k words, .deb 5.8 MB — Sphinx
    DocSource("lemonldap-ng-doc", ("lemonldap-ng-doc",), "html",
              ("usr/share/doc/lemonldap-ng/pages/documentation/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # keystone-doc: ~106k words, .deb 2.2 MB — OpenStack Sphinx; api/ autodoc skipped
    DocSource("keystone-doc", ("keystone-doc",), "html", ("usr/share/doc/keystone-doc/html/*.html",),
              SPHINX_JUNK + ("*/api/*",) + NOTES_JUNK),
    # brz-doc: ~105k words, .deb 2.4 MB — Breezy (Bazaar) user guide/reference (Sphinx)
    DocSource("brz-doc", ("brz-doc",), "html", ("usr/share/doc/brz/html/*.html",),
              SPHINX_JUNK + ("*-plain.html",) + NOTES_JUNK),
    # qemu-doc: ~105k words, .deb 2.2 MB — QEMU system emulation docs (Sphinx)
    DocSource("qemu-doc", ("qemu-system-common",), "html", ("usr/share/doc/qemu-system-common/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # imagemagick-doc: ~104k words, .deb 7.9 MB — ImageMagick www/ usage pages (MagickCore api/ skipped)
    DocSource("imagemagick-doc", ("imagemagick-6-doc",), "html",
              ("usr/share/doc/imagemagick-6-common/html/www/*.html",), ("*/www/api/*", "*/www/index.html",
              "*/binary-releases.html", "*/search.html") + NOTES_JUNK),
    # astroquery-doc: ~102k words, .deb 2.4 MB — Sphinx; api/ autodoc
    DocSource("astroquery-doc", ("python-astroquery-doc",), "html",
              ("usr/share/doc/python-astroquery-doc/html/*.html",), SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # pacemaker-doc: ~102k words, .deb 163.9 MB — Pacemaker Explained, Clusters from Scratch, etc. (html/ doxygen skipped)
    DocSource("pacemaker-doc", ("pacemaker-doc",), "html", ("usr/share/doc/pacemaker/*/singlehtml/*.html",), NOTES_JUNK),
    # sphinx-doc: ~100k words, .deb 2.3 MB — Sphinx's own manual
    DocSource("sphinx-doc", ("sphinx-doc",), "html", ("usr/share/doc/sphinx-doc/html/*.html",),
              SPHINX_JUNK + ("*/changes.html",) + NOTES_JUNK),
    # python-gitlab-doc: ~100k words, .deb 0.3 MB — Sphinx
    DocSource("python-gitlab-doc", ("python-gitlab-doc",), "html", ("usr/share/doc/python-gitlab-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html", "*/release-notes.html") + NOTES_JUNK),
    # gammu-doc: ~98k words, .deb 0.6 MB — Sphinx
    DocSource("gammu-doc", ("gammu-doc",), "html", ("usr/share/doc/gammu/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # diskimage-builder-doc: ~94k words, .deb 1.1 MB — OpenStack Sphinx
    DocSource("diskimage-builder-doc", ("diskimage-builder-doc",), "html",
              ("usr/share/doc/diskimage-builder-doc/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # heat-doc: ~93k words, .deb 2.1 MB — OpenStack Sphinx; template_guide is big
    DocSource("heat-doc", ("heat-doc",), "html", ("usr/share/doc/heat-doc/html/*.html",),
              SPHINX_JUNK + ("*/api/*",) + NOTES_JUNK),
    # docutils-doc: ~93k words, .deb 1.1 MB — Docutils/reST docs
    DocSource("docutils-doc", ("docutils-doc",), "html", ("usr/share/doc/docutils-doc/*.html",), ("*/dev/release*.html",
              "*/dev/todo.html") + NOTES_JUNK),
    # glance-doc: ~92k words, .deb 2.4 MB — OpenStack Sphinx
    DocSource("glance-doc", ("glance-doc",), "html", ("usr/share/doc/glance-doc/html/*.html",),
              SPHINX_JUNK + ("*/contributor/api/*",) + NOTES_JUNK),
    # os-ken-doc: ~92k words, .deb 1.1 MB — OpenStack Sphinx
    DocSource("os-ken-doc", ("python-os-ken-doc",), "html", ("usr/share/doc/python-os-ken-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # ntpsec-doc: ~88k words, .deb 1.3 MB — NTPsec docs
    DocSource("ntpsec-doc", ("ntpsec-doc",), "html", ("usr/share/doc/ntpsec-doc/html/*.html",), NOTES_JUNK),
    # valgrind-doc: ~88k words, .deb 14.3 MB — Valgrind user manual
    DocSource("valgrind-doc", ("valgrind",), "html", ("usr/share/doc/valgrind/html/*.html",), ("*/dist.news.html",
              "*/dist.news.old.html", "*/dist.authors.html") + NOTES_JUNK),
    # fish-doc: ~85k words, .deb 1.7 MB — fish shell docs (Sphinx)
    DocSource("fish-doc", ("fish-common",), "html", ("usr/share/doc/fish/*.html",),
              SPHINX_JUNK + ("*/relnotes.html",) + NOTES_JUNK),
    # scrapy-doc: ~82k words, .deb 0.8 MB — Sphinx
    DocSource("scrapy-doc", ("python-scrapy-doc",), "html", ("usr/share/doc/python-scrapy-doc/html/*.html",),
              SPHINX_JUNK + ("*/news.html",) + NOTES_JUNK),
    # pytest-doc: ~81k words, .deb 1.1 MB — Sphinx
    DocSource("pytest-doc", ("python-pytest-doc",), "html", ("usr/share/doc/python-pytest-doc/html/*.html",),
              SPHINX_JUNK + ("*/announce/*", "*/changelog.html") + NOTES_JUNK),
    # designate-doc: ~77k words, .deb 1.4 MB — OpenStack Sphinx
    DocSource("designate-doc", ("designate-doc",), "html", ("usr/share/doc/designate-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # xen-doc: ~76k words, .deb 0.5 MB — Xen docs: man pages, misc, designs (hypercall/ listings skipped)
    DocSource("xen-doc", ("xen-doc",), "html", ("usr/share/doc/xen/html/*.html",), ("*/hypercall/*",) + NOTES_JUNK),
    # sqlobject-doc: ~75k words, .deb 0.5 MB — Sphinx
    DocSource("sqlobject-doc", ("python-sqlobject-doc",), "html", ("usr/share/doc/python-sqlobject-doc/html/*.html",),
              SPHINX_JUNK + ("*/News.html",) + NOTES_JUNK),
    # xarray-doc: ~71k words, .deb 5.3 MB — Sphinx
    DocSource("xarray-doc", ("python-xarray-doc",), "html", ("usr/share/doc/python-xarray-doc/html/*.html",),
              SPHINX_JUNK + ("*/whats-new.html",) + NOTES_JUNK),
    # cherrypy-doc: ~67k words, .deb 0.8 MB — Sphinx
    DocSource("cherrypy-doc", ("python-cherrypy3-doc",), "html", ("usr/share/doc/python-cherrypy3-doc/html/*.html",),
              SPHINX_JUNK + ("*/history.html",) + NOTES_JUNK),
    # dask-distributed-doc: ~65k words, .deb 4.0 MB — Sphinx
    DocSource("dask-distributed-doc", ("python-distributed-doc",), "html",
              ("usr/share/doc/python-distributed-doc/html/*.html",), SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # asyncssh-doc: ~64k words, .deb 0.4 MB — Sphinx; very long api.html
    DocSource("asyncssh-doc", ("python-asyncssh-doc",), "html", ("usr/share/doc/python-asyncssh-doc/html/*.html",),
              SPHINX_JUNK + ("*/changes.html",) + NOTES_JUNK),
    # tornado-doc: ~63k words, .deb 0.6 MB — Sphinx
    DocSource("tornado-doc", ("python-tornado-doc",), "html", ("usr/share/doc/python-tornado-doc/html/*.html",),
              SPHINX_JUNK + ("*/releases/*", "*/releases.html") + NOTES_JUNK),
    # octavia-doc: ~63k words, .deb 2.2 MB — OpenStack Sphinx
    DocSource("octavia-doc", ("octavia-doc",), "html", ("usr/share/doc/octavia-doc/html/*.html",),
              SPHINX_JUNK + ("*/contributor/api/*", "*/contributor/modules/*") + NOTES_JUNK),
    # kombu-doc: ~62k words, .deb 0.4 MB — Sphinx
    DocSource("kombu-doc", ("python-kombu-doc",), "html", ("usr/share/doc/python-kombu-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # varnish-doc: ~61k words, .deb 0.7 MB — Sphinx; phk/ opinion essays and whats-new/ excluded
    DocSource("varnish-doc", ("varnish-doc",), "html", ("usr/share/doc/varnish/html/*.html",),
              SPHINX_JUNK + ("*/whats-new/*", "*/phk/*") + NOTES_JUNK),
    # gevent-doc: ~60k words, .deb 0.7 MB — Sphinx
    DocSource("gevent-doc", ("python-gevent-doc",), "html", ("usr/share/doc/python-gevent-doc/html/*.html",),
              SPHINX_JUNK + ("*/older_releases.html",) + NOTES_JUNK),
    # mypy-doc: ~60k words, .deb 0.3 MB — Sphinx
    DocSource("mypy-doc", ("mypy-doc",), "html", ("usr/share/doc/mypy/html/*.html",), SPHINX_JUNK + NOTES_JUNK),
    # pil-doc: ~58k words, .deb 0.8 MB — Pillow Sphinx
    DocSource("pil-doc", ("python-pil-doc",), "html", ("usr/share/doc/python-pil-doc/html/*.html",),
              SPHINX_JUNK + ("*/releasenotes/*",) + NOTES_JUNK),
    # dar-docs: ~56k words, .deb 1.6 MB — DAR user docs (html/ doxygen skipped)
    DocSource("dar-docs", ("dar-docs",), "html", ("usr/share/doc/dar-docs/*.html",), ("*/dar-docs/html/*", "*.es.html",
              "*.it.html", "*/benchmark_logs.html") + NOTES_JUNK),
    # doxygen-doc: ~55k words, .deb 2.7 MB — Doxygen manual
    DocSource("doxygen-doc", ("doxygen-doc",), "html", ("usr/share/doc/doxygen/html/*.html",),
              ("*/html/examples/*",) + NOTES_JUNK),
    # tables-doc: ~54k words, .deb 4.8 MB — PyTables Sphinx
    DocSource("tables-doc", ("python-tables-doc",), "html", ("usr/share/doc/python-tables-doc/html/*.html",),
              SPHINX_JUNK + ("*/release-notes/*",) + NOTES_JUNK),
    # taskflow-doc: ~52k words, .deb 1.7 MB — OpenStack Sphinx
    DocSource("taskflow-doc", ("python-taskflow-doc",), "html", ("usr/share/doc/python-taskflow-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # lxml-doc: ~46k words, .deb 0.7 MB — lxml tutorials/FAQ (apidoc skipped)
    DocSource("lxml-doc", ("python-lxml-doc",), "html", ("usr/share/doc/python-lxml/html/*.html",),
              ("*/apidoc/*",) + NOTES_JUNK),
    # coffeescript-doc: ~40k words, .deb 0.6 MB — CoffeeScript 2 docs (v1 duplicate skipped)
    DocSource("coffeescript-doc", ("coffeescript-doc",), "html", ("usr/share/doc/coffeescript/html/v2/*.html",),
              ("*/v2/annotated-source/*",) + NOTES_JUNK),
    # snakemake-doc: ~36k words, .deb 5.0 MB — Sphinx
    DocSource("snakemake-doc", ("snakemake-doc",), "html", ("usr/share/doc/snakemake/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
    # pypy3-doc: ~34k words, .deb 0.6 MB — Sphinx
    DocSource("pypy3-doc", ("pypy3-doc",), "html", ("usr/share/doc/pypy3/html/*.html",), SPHINX_JUNK + ("*/release-*.html",
              "*/whatsnew-*.html", "*/index-of-release-notes.html", "*/index-of-whatsnew.html",
              "*/eventhistory.html") + NOTES_JUNK),
    # freetds-userguide: ~25k words, .deb 0.8 MB — FreeTDS User Guide (DocBook); reference/ doxygen skipped
    DocSource("freetds-userguide", ("freetds-doc",), "html", ("usr/share/doc/freetds-doc/userguide/*.html",), NOTES_JUNK),
    # ipython-doc: ~24k words, .deb 3.4 MB — Sphinx
    DocSource("ipython-doc", ("python-ipython-doc",), "html", ("usr/share/doc/python-ipython-doc/html/*.html",),
              SPHINX_JUNK + ("*/whatsnew/*",) + NOTES_JUNK),
    # --- a third look (session 8), counts measured by a build of these five alone (training tokens)
    # icinga2-doc: 91k tokens, .deb 8.2 MB — the Icinga 2 monitoring manual, Markdown
    DocSource("icinga2-doc", ("icinga2-doc",), "markdown", ("usr/share/doc/icinga2/markdown/*.md.gz",)),
    # qtcreator-doc: 134k tokens, .deb 13.5 MB — Qt Creator's manual and extension guide (qdoc)
    DocSource("qtcreator-doc", ("qtcreator-doc",), "html", ("usr/share/qtcreator/doc/qtcreator/*.html",
              "usr/share/qtcreator/doc/qtcreator-dev/*.html"), ("*-members.html", "*-obsolete.html",
              "*-attribution-*.html", "*-module.html", "*/index.html") + NOTES_JUNK),
    # scons-doc: 78k tokens, .deb 2.6 MB — the SCons user guide (DocBook)
    DocSource("scons-doc", ("scons-doc",), "html", ("usr/share/doc/scons/HTML/*.html",), NOTES_JUNK),
    # borgbackup-doc: 44k tokens, .deb 2.9 MB — Sphinx
    DocSource("borgbackup-doc", ("borgbackup-doc",), "html", ("usr/share/doc/borgbackup/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # djangorestframework-doc: 51k tokens, .deb 8.1 MB — Django REST framework's guide (MkDocs)
    DocSource("djangorestframework-doc", ("python-djangorestframework-doc",), "html",
              ("usr/share/doc/python3-djangorestframework/html/*/index.html",), ("*/community/*",) + NOTES_JUNK),
    # singular-doc: the Singular computer-algebra manual, one uncompressed info file (6.2 MB)
    DocSource("singular-doc", ("singular-doc",), "info", ("usr/share/info/singular.info",)),
    # dict-foldoc: 630k words — the Free On-line Dictionary of Computing (GFDL, no invariant sections)
    DocSource("foldoc", ("dict-foldoc",), "dictd", ("usr/share/dictd/foldoc.dict.dz",)),
    # dict-jargon: 183k words — the Jargon File 4.4.7 (public domain)
    DocSource("jargon-file", ("dict-jargon",), "dictd", ("usr/share/dictd/jargon.dict.dz",)),
    # gettext-doc: the GNU gettext manual (Texinfo HTML)
    DocSource("gettext-doc", ("gettext-doc",), "html", ("usr/share/doc/gettext/*.html",),
              ("*/gettext_20.html",)),  # the appendix of licence texts
    # flex-doc: the flex manual (Texinfo HTML)
    DocSource("flex-doc", ("flex-doc",), "html", ("usr/share/doc/flex-doc/html/*.html",),
              ("*/Concept-Index.html", "*/Index-of-*.html")),
    # golang-1.19-doc: the Go language specification, memory model and assembler guide
    DocSource("golang-doc", ("golang-1.19-doc|golang-1.22-doc",), "html", ("usr/share/doc/golang-1.*-doc/html/*.html",),
              ("*/go1.*_spec.html",)),
    # --- doubtful: API references whose pages are mostly signatures and navigation
    # Doxygen manuals read like wx-doc (class and module descriptions, their overview pages)
    DocSource("dcmtk-doc", ("dcmtk-doc",), "html", ("usr/share/doc/dcmtk/dcmtk/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("gnuradio-doc", ("gnuradio-doc",), "html", ("usr/share/doc/gnuradio-doc/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("pcl-doc", ("libpcl-doc",), "html", ("usr/share/doc/libpcl-dev/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("openscenegraph-doc", ("openscenegraph-doc",), "html", ("usr/share/doc/openscenegraph-doc/openscenegraph/*.html",),
              DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("eigen-doc", ("libeigen3-doc",), "html", ("usr/share/doc/libeigen3-dev/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("gsoap-doc", ("gsoap-doc",), "html", ("usr/share/doc/gsoap/*/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("fltk-doc", ("fltk1.3-doc",), "html", ("usr/share/doc/fltk1.3-doc/HTML/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("efl-doc", ("efl-doc",), "html", ("usr/share/doc/efl-doc/html/*.html",), DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("gtkmm3-doc", ("libgtkmm-3.0-doc",), "html", ("usr/share/doc/libgtkmm-3.0-doc/reference/html/*.html",),
              DOXYGEN_JUNK + NOTES_JUNK),
    # rdkit-doc: the RDKit book and Python API (Sphinx) and its C++ API (Doxygen)
    DocSource("rdkit-doc", ("rdkit-doc",), "html", ("usr/share/doc/rdkit/html/*.html",), SPHINX_JUNK + DOXYGEN_JUNK + NOTES_JUNK),
    DocSource("qutip-doc", ("python-qutip-doc",), "html", ("usr/share/doc/python-qutip-doc/html/*.html",),
              SPHINX_JUNK + NOTES_JUNK),
    # freedombox-doc-en: the FreedomBox user manual (English pages from its wiki)
    DocSource("freedombox-manual", ("freedombox-doc-en",), "html", ("usr/share/freedombox/manual/en/*.html",), NOTES_JUNK),
    # wx-doc: ~1.79M words, .deb 7.4 MB — wxWidgets doxygen: class docs + overview topics (API, doubtful)
    DocSource("wx-doc", ("wx3.2-doc",), "html", ("usr/share/doc/wx3.2-doc/html/*.html",), ("*_source.html",
              "*-members.html", "*/search/*", "*_8h.html", "*/globals*.html", "*/functions*.html") + NOTES_JUNK),
    # crystal-doc: ~862k words, .deb 2.8 MB — Crystal stdlib API; each page repeats a huge nav list (doubtful)
    DocSource("crystal-doc", ("crystal-doc",), "html", ("usr/share/doc/crystal/api-docs/*.html",),
              ("*/index.html",) + NOTES_JUNK),
    # gtk4-doc: ~828k words, .deb 4.3 MB — GTK 4 gi-docgen: many tiny method pages (API, doubtful)
    DocSource("gtk4-doc", ("libgtk-4-doc",), "html", ("usr/share/doc/libgtk-4-doc/*.html",), ("*/index.html",
              "*/classes_hierarchy.html") + NOTES_JUNK),
    # pymatgen-doc: ~279k words, .deb 3.6 MB — Sphinx autodoc-heavy API
    DocSource("pymatgen-doc", ("python-pymatgen-doc",), "html", ("usr/share/doc/python-pymatgen-doc/html/*.html",),
              SPHINX_JUNK + ("*/change_log.html",) + NOTES_JUNK),
    # pyfai-doc: ~195k words, .deb 72.9 MB — Sphinx; usage/ are notebooks with embedded images (inflated bytes)
    DocSource("pyfai-doc", ("python-pyfai-doc",), "html", ("usr/share/doc/python-pyfai-doc/html/*.html",),
              SPHINX_JUNK + ("*/changelog.html",) + NOTES_JUNK),
)
