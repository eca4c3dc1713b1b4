"""The normbench plugin contract: every hook a plugin may implement.

A plugin is a module (or object) with functions named like the specs below and
marked with :data:`normbench.hookimpl`. Built-in norms are plugins of exactly
this kind (see ``normbench/norms/``); third-party plugins are found through the
``normbench`` entry-point group::

    [project.entry-points.normbench]
    groupnorm = "normbench_groupnorm"

Hooks are called by keyword, so an implementation may accept any subset of a
spec's parameters, in any order.

The types a plugin meets, every field (all importable from ``normbench``)
-------------------------------------------------------------------------
Images are always RGB floats in [0, 1], channels first: ``(N, 3, H, W)``.

``NormSpec`` (a normalization layer; frozen dataclass):
    - ``name``: str, letters, digits and ``_``; the ``--norms`` name and the row name.
    - ``factory``: ``factory(num_features, **kwargs) -> nn.Module`` for ``(N, C, H, W)``
      input with ``C == num_features``, output of the same shape; ``style_id`` norms
      are also given ``num_styles=<int>``.
    - ``conditioning``: a ``Conditioning`` or its string: ``none`` (called ``layer(x)``),
      ``style_id`` (``layer(x, style_id)``, a ``LongTensor`` ``(N,)``) or ``style_feat``
      (``layer(x, style)``, the style's features ``(N, C, H', W')``).
    - ``architecture``: str, the registered architecture it trains in by default.
    - ``aliases``: tuple of str, other names for it.
    - ``description``: str, one line for listings and reports.
    - ``params_per_channel``: int or None, learned parameters per channel (per style
      for ``style_id``), which the contract kit checks; None skips the check.

``MetricSpec`` (a metric; frozen dataclass):
    - ``name``: str, the ``--metrics`` name.
    - ``factory``: ``factory(context: MetricContext) -> Metric``, called once per run.
    - ``description``: str, one line.
    - ``aliases``: tuple of str.
    - ``columns``: tuple of ``Column``; filled from the factory's class declarations
      (``name``/``higher_is_better``/``axis`` or ``columns``) when left empty.

``Column`` (one column a metric fills; frozen dataclass):
    - ``name``: str, the column of ``results.csv``; unique across metrics.
    - ``higher_is_better``: bool, or None for a column that is not a score.
    - ``label``: str, the short header reports use (the name when empty).
    - ``axis``: str, what it measures: one of ``normbench.columns.AXES``, each described
      in :func:`normbench_register_metrics`. ``style`` and ``composite`` columns a
      baseline wins are flagged.
    - ``description``: str, one line.
    - ``equivalence_margin``: float or None, the largest difference between two norms, in the column's units,
      that does not matter: reports call two norms ``equal`` on it only where an equivalence test (TOST) over seeds
      puts their difference inside it. None: never equal, only tied.
    - ``min_samples``: int or None, the sample count a distribution distance is defined on; rows whose
      ``samples_column`` holds fewer are shown but never tested or flagged.
    - ``samples_column``: str or None, the column holding each row's sample count; given with ``min_samples``.

``MetricContext`` (given to a metric factory; fixed for the run):
    - ``device``: ``torch.device`` the images will be on.
    - ``features``: ``"pretrained"`` (every network trained), ``"random"`` (none) or ``"mixed"``; a metric
      asks ``context.features_of(network)`` for the one network it loads.
    - ``seed``: int, for any sampling the metric does (the run's evaluation seed).
    - ``fid_samples``: int, patches distribution metrics compare per row.
    - ``cache_dir``: ``Path`` for statistics worth keeping between runs.
    - ``num_images``: int, evaluation images per row.
    - ``batch_size``: int, the training batch size.
    - ``eval_draws``: int, independently seeded networks to measure with under random features.
    - ``training_networks``: tuple of str, the networks training used; an evaluation
      network must differ from them.
    - ``networks``: dict, network name -> its resolved source (``normbench.weights.sources.NetworkSource``:
      ``kind`` pretrained, import, file or random, ``path``, ``sha256``, ``seed``, ``note``).
    - ``eval_network``: str, the VGG content and style distances are measured with (``vgg13`` unless
      ``--eval-network`` says otherwise).

``StylizedSample`` (one chunk of one row's evaluation images, given to ``update``):
    - ``stylized``: ``(N, 3, H, W)``, the outputs for ``content``.
    - ``content``: ``(N, 3, H, W)``, held-out photographs, ``H == W`` the eval size.
    - ``style``: ``(1, 3, h, w)``, the style image at the training resolution.
    - ``stylize``: ``stylize(images, statistics="eval")`` runs the same model on other
      images; ``statistics="batch"`` normalizes with the batch's statistics as in training.
    - ``first_index``: int, where ``content[0]`` is in the row's evaluation set.

``BaselineSpec`` (a reference method without training; frozen dataclass):
    - ``name``: str, the row name (it may not be a norm's).
    - ``stylize``: ``stylize(content (N, 3, H, W), style (1, 3, h, w)) -> (N, 3, H, W)``.
    - ``description``: str, one line.
    - ``wins_by_construction``: tuple of axes it wins by definition, never flagged.
    - ``aliases``: tuple of str.
    - ``curve``: bool (default False): in a style-weight sweep, also measured blended with the content at
      every alpha of ``normbench.BLEND_ALPHAS``, its own trade-off curve.

``ArchitectureSpec`` (a generator norms are placed in; frozen dataclass):
    - ``name``: str, the name after ``@`` in ``--norms in@msgnet``.
    - ``build``: ``build(norm_layer, conditioning, nets) -> nn.Module`` called as
      ``model(content, cond)``; see :func:`normbench_register_architectures`.
    - ``criterion``: ``criterion(nets, styles, training, profile)``, the loss module.
    - ``supports``: tuple of ``Conditioning`` its norm slots can feed.
    - ``feature_nets``: tuple of VGG trunk names (``"vgg16"``, ``"vgg19"``) it needs.
    - ``training``: ``TrainingSettings``, its defaults.
    - ``encode_styles``: ``encode_styles(nets, styles) -> Tensor`` or None; required
      when ``style_feat`` is supported.
    - ``aliases``: tuple of str.
    - ``description``: str, one line.

``TrainingSettings`` (an architecture's defaults, which a run may override):
    - ``lr``: float, Adam's learning rate.
    - ``content_weight``, ``style_weight``, ``tv_weight``: float loss weights.

``TrackerSpec`` (an experiment tracker; frozen dataclass):
    - ``name``: str, its name in listings.
    - ``factory``: ``factory(context: TrackerContext) -> Tracker``, once per run session.
    - ``description``: str, one line.
    - ``aliases``: tuple of str.

``TrackerContext`` (given to a tracker factory; frozen dataclass):
    - ``run_dir``: ``Path`` of the run's directory, which a tracker may write under.
    - ``run_id``: str, the directory's name.
    - ``manifest``: dict, a copy of the run's manifest as the session starts (its
      ``columns`` declare every metric column: ``higher_is_better``, ``axis``, ``label``).
    - ``resumed``: bool, True when this session continues an earlier one; cells finished
      before are not delivered again.

A ``Tracker`` (subclass ``normbench.Tracker``) gets ``log_training(entries)`` (one model's
``train_log.csv`` rows: ``norm``, ``model``, ``seed``, ``step`` and the loss terms),
``log_rows(rows)`` (one cell's ``results.csv`` rows) and ``finish(status)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from normbench.metrics.base import MetricRegistry
    from normbench.registry import ArchitectureRegistry, BaselineRegistry, NormRegistry
    from normbench.tracking import TrackerRegistry

from normbench.markers import hookspec  # noqa: E402


@hookspec
def normbench_register_norms(registry: NormRegistry) -> None:
    """Register normalization layers that the generator harness can swap in.

    Call ``registry.add(NormSpec(...))`` once per layer. A :class:`~normbench.NormSpec`
    names the layer, gives its factory and declares what conditioning it needs, a
    :class:`~normbench.Conditioning` (or its string; an unknown one is refused
    with the valid choices):

    - ``factory(num_features)`` returns an ``nn.Module`` for channels-first
      input of shape ``(N, C, H, W)`` with ``C == num_features``; the output
      has the same shape.
    - ``Conditioning.NONE`` (``"none"``): the module is called as ``layer(x)``.
    - ``Conditioning.STYLE_ID`` (``"style_id"``): the factory also receives
      ``num_styles=<int>`` and the module is called as ``layer(x, style_id)``
      with a ``LongTensor`` of shape ``(N,)``; one model serves every style.
    - ``Conditioning.STYLE_FEAT`` (``"style_feat"``): the module is called as
      ``layer(x, style)`` where ``style`` holds the style image's features,
      shape ``(N, C, H', W')``; one model serves arbitrary styles.

    ``architecture`` names the generator the layer is benchmarked in by default
    (see :func:`normbench_register_architectures`); ``--norms gn@msgnet`` tries it
    in another whose ``supports`` includes its conditioning.

    :param registry: the registry to add to; adding a name or alias that
        another plugin already registered raises ``ValueError`` naming both
        plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """


@hookspec
def normbench_register_metrics(registry: MetricRegistry) -> None:
    """Register quality metrics measured on every row of a run (every norm and baseline, every style).

    Call ``registry.add(MetricSpec(name=..., factory=...))``. The metric contract (docs/plugins.md quotes it):

    - ``factory(context)`` is called once per run with a ``normbench.MetricContext`` and returns the metric;
      the factory is usually a ``normbench.Metric`` subclass, whose ``__init__(self, context)`` takes it.
    - The metric declares its columns once: ``name``, ``higher_is_better`` and ``axis`` as class attributes for
      one column, or ``columns``, a tuple of ``normbench.Column``.
    - ``axis`` says what a column measures: ``content`` (how much of the photograph is kept), ``style`` (how
      close the output is to the style), ``composite`` (both in one number), ``invariance`` (which statistics a
      layer depends on, not quality), ``other`` (a ranked measurement of none of these) or ``info`` (bookkeeping
      with no better direction, ``higher_is_better=None``: counts, notes, spreads). ``speed`` and ``cost`` are
      the axes of the columns the run measures itself. Reports plot style against content, and flag a ``style``
      or ``composite`` column that a reference baseline wins.
    - A ``Column`` may also say how reports test it: ``equivalence_margin`` (the largest difference between two
      norms, in the column's units, that does not matter; without one two norms are never called equal,
      only tied), and ``min_samples`` with ``samples_column`` (a distribution distance defined on at least
      that many samples, and the column holding each row's count: below it the values are shown but
      never tested or flagged). Columns without them are tested as before.
    - For each row the run calls ``reset()``, then ``update(sample)`` once per chunk of evaluation images with a
      ``normbench.StylizedSample``, then ``compute()``.
    - ``compute()`` returns a dict of exactly the declared columns, each a float, an int or ``float("nan")`` (a
      one-element tensor or numpy scalar is converted); a column with ``higher_is_better=None`` may also hold a
      string or None. Anything else fails the metric on that row, naming its plugin and the column.
    - A ``normbench.DerivedMetric`` is given the row's other values instead, ``derive(values)``, after the
      metrics it ``requires``, and returns its columns by the same rule.
    - ``provenance()`` returns a dict, stored in the run's manifest.
    - ``feature_networks``, a class attribute, names the weights networks the metric loads beside the evaluation
      VGG (``("alexnet",)``, ``("inception_fid",)``, ``()``), which it reads through ``context.features_of``: a
      run resolves and downloads only the networks its metrics name. Left out (None), the metric is given all of
      them, as in normbench 0.2.
    - A factory or method that raises fails that metric alone: its columns stay empty, the error goes to the
      row, ``errors.log`` and the manifest, and the run's summary and report name the metric and its plugin.
    - ``normbench.testing.MetricContract`` checks all of this in a plugin's own tests.

    :param registry: the registry to add to; a name another plugin already
        registered, or a column another metric declares, raises ``ValueError``
        naming both.
    :returns: nothing; registration happens through ``registry.add``.
    """


@hookspec
def normbench_register_baselines(registry: BaselineRegistry) -> None:
    """Register reference baselines: methods that need no training, measured beside the norms in every run.

    Call ``registry.add(BaselineSpec(name=..., stylize=...))``, where
    ``stylize(content, style)`` maps ``(N, 3, H, W)`` content and a ``(1, 3, h, w)``
    style image (RGB in [0, 1]) to ``(N, 3, H, W)`` outputs in [0, 1]. Each
    baseline gets a row per style with ``kind=baseline``, measured by every
    metric. ``wins_by_construction`` names the axes it wins by definition (the
    unchanged content wins ``content``), which are not flagged when it does; in a
    style-weight sweep, the baselines that win ``content`` and ``style`` by
    construction are the corners of the box trade-off curves are summarised in.
    ``curve=True`` measures it, in a sweep, blended with the content at every
    alpha of ``normbench.BLEND_ALPHAS``: a curve every norm's must beat somewhere.

    :param registry: the registry to add to; a name already taken raises
        ``ValueError`` naming both plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """


@hookspec
def normbench_register_architectures(registry: ArchitectureRegistry) -> None:
    """Register generator architectures that norms are benchmarked in.

    Call ``registry.add(ArchitectureSpec(...))`` once per architecture. An
    :class:`~normbench.ArchitectureSpec` declares:

    - ``build(norm_layer, conditioning, nets)``: the generator, with every norm slot
      filled by ``norm_layer(num_features)`` (a norm's factory, already given
      ``num_styles`` for ``style_id``); ``conditioning`` is the norm's
      :class:`~normbench.Conditioning`, ``nets`` the frozen VGG trunks named in
      ``feature_nets``. It returns an ``nn.Module`` called as ``model(content, cond)``
      with content ``(N, 3, H, W)`` in [0, 1], returning images of that shape in [0, 1]
      in eval mode (a training-mode output only feeds the loss, and may leave [0, 1]).
      :class:`~normbench.NormSlot` passes ``cond`` on only to conditioned norms.
    - ``supports``: the conditionings its norm slots can feed; a norm declaring another
      is refused with this list.
    - ``criterion(nets, styles, training, profile)``: the training loss, built once per
      model; :class:`~normbench.GramCriterion` is Johnson et al.'s.
    - ``feature_nets``: the VGG trunks its loss (and encoder) need.
    - ``training``: default :class:`~normbench.TrainingSettings` (Adam learning rate
      and loss weights), which a run may override per architecture.
    - ``encode_styles(nets, styles)``: what a ``style_feat`` norm is given per style.

    Every norm trained in an architecture gets the same loss, weights and budget.

    :param registry: the registry to add to; a name another plugin already
        registered raises ``ValueError`` naming both plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """


@hookspec
def normbench_register_trackers(registry: TrackerRegistry) -> None:
    """Register experiment trackers (TensorBoard, MLflow, W&B): every registered tracker follows every run.

    Call ``registry.add(TrackerSpec(name=..., factory=...))``. When a run (or a resumed
    session of one) starts, after it is planned and its columns are known,
    ``factory(context)`` is called with a :class:`~normbench.TrackerContext` and returns a
    :class:`~normbench.Tracker`. The run then calls, in the process that records it
    (whatever the executor):

    - ``log_training(entries)`` once per trained model, as its cell finishes: the model's
      rows of ``train_log.csv`` (``norm``, ``model``, ``seed``, ``step``, ``total`` and each
      loss term);
    - ``log_rows(rows)`` once per cell, baselines' included: its rows of ``results.csv``;
    - ``finish(status)`` when the session ends, however it ends.

    Trackers observe; they change no number. A tracker whose factory or method raises is
    named in the run's ``errors.log`` and dropped for the rest of the session; the run goes
    on. ``--disable-plugin NAME`` turns a tracker's plugin off for one run.

    :param registry: the registry to add to; a name already taken raises ``ValueError``
        naming both plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """
