"""The book's own modules, running on nndl: ``from nndl.book import network``.

*Neural Networks and Deep Learning* develops its code as five Python 2
modules.  This package has the same names, classes, signatures, data
formats, printed lines and return values, so that the book's interactive
sessions run unchanged on Python 3.11+ and NumPy 2 after the import line::

    from nndl.book import mnist_loader, network      # the book: import mnist_loader ...
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)   # Epoch 0: 9129 / 10000 ...

========================  ==============================================================
``mnist_loader``          ``load_data``, ``load_data_wrapper`` (lists, not zips)
``network``               chapter 1: ``Network(sizes)`` with ``SGD``, ``backprop``, ...
``network2``              chapter 3: costs, L2 regularisation, monitors, ``save``/``load``
``network3``              chapter 6: ``ConvPoolLayer``, ``FullyConnectedLayer``,
                          ``SoftmaxLayer``, dropout, ``load_data_shared`` — without Theano
``expand_mnist``          chapter 6's 250,000-image training set (``python -m
                          nndl.book.expand_mnist``)
========================  ==============================================================

The modules are adapters: the arithmetic is nndl's vectorised engine
(:class:`nndl.Network`, :class:`nndl.Sequential`); a mini-batch is a few
matrix products, not a loop over its examples.  ``network`` and ``network2``
are exact in the sense that the same seeds give the book's trajectory (see
docs/book.md).  Their methods are the book's extension points: a subclass
that overrides one (or a patched ``sigmoid``) makes ``SGD`` run the book's
own loop, calling it as the book does (:mod:`nndl.book._network`).  Each
network keeps the nndl model of its fast path as ``net.model``.

Data come from nndl's verified MNIST cache (downloaded on first use, like
``nndl fetch``), from the book's own ``mnist.pkl.gz`` when a path is given
(read with a restricted unpickler), or from the file or ``sample`` named by
the environment variable ``NNDL_BOOK_DATA``.

This ``__init__`` imports nothing, so that ``from nndl.book import network``
loads only what it needs.
"""
