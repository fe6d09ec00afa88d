#!/usr/bin/python3
"""Reference outputs for keel/imagedata, made with the real PIL, numpy, scipy,
keras_preprocessing and libjpeg-turbo's cjpeg and djpeg (Debian: python3-pil
python3-numpy python3-scipy python3-keras-preprocessing libjpeg-turbo-progs).
Writes small files under testdata/images/; `make test` reads the committed
results and never needs Python.

    /usr/bin/python3 scripts/imagedata/make_refs.py   # from the repository root

Everything is deterministic: sources come from numpy's RandomState(0).
"""
import io
import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
from PIL import Image

OUT = os.path.join('testdata', 'images')


def save_png(img, name):
    img.save(os.path.join(OUT, name), optimize=True)


def f32(arr, name):
    """Little-endian float32, C order (HWC)."""
    np.asarray(arr, dtype='<f4').tofile(os.path.join(OUT, name))


def sources(rng):
    """Photo-like sources: smooth gradients plus noise plus hard edges."""
    out = {}
    for name, (w, h) in {'a': (61, 47), 'b': (40, 40), 'c': (23, 31)}.items():
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        r = 255 * xx / (w - 1)
        g = 255 * yy / (h - 1)
        b = 128 + 100 * np.sin(xx / 3.0) * np.cos(yy / 4.0)
        img = np.stack([r, g, b], axis=-1) + rng.normal(0, 20, (h, w, 3))
        img[h // 3:h // 2, w // 4:w // 2] = [250, 10, 30]  # a block with hard edges
        out[name] = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), 'RGB')
    return out


def resize_refs(srcs, manifest):
    sizes = [(32, 24), (17, 13), (80, 64), (61, 20), (7, 9)]
    for name, img in srcs.items():
        save_png(img, 'src_%s.png' % name)
        for method in ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos']:
            resample = getattr(Image, method.upper())
            for (w, h) in sizes:
                out = img.resize((w, h), resample)
                fname = 'pil_%s_%s_%dx%d.png' % (name, method, w, h)
                save_png(out, fname)
                manifest['resize'].append({'src': 'src_%s.png' % name, 'method': method,
                                           'width': w, 'height': h, 'out': fname})


def keep_aspect_box(w, h, tw, th):
    """load_img(keep_aspect_ratio=True)'s crop box (Keras 2.9+, integer maths)."""
    crop_h = min(h, (w * th) // tw)
    crop_w = min(w, (h * tw) // th)
    hs, ws = (h - crop_h) // 2, (w - crop_w) // 2
    return [ws, hs, ws + crop_w, hs + crop_h]


def box_refs(srcs, manifest):
    """Image.resize with a box: keep_aspect_ratio crops and an off-centre box."""
    img = srcs['a']  # 61 x 47
    cases = [((24, 24), keep_aspect_box(61, 47, 24, 24)), ((10, 30), keep_aspect_box(61, 47, 10, 30)),
             ((50, 40), [3, 5, 40, 30]), ((20, 47), [0, 0, 20, 47])]
    for method in ['nearest', 'bilinear', 'bicubic']:
        resample = getattr(Image, method.upper())
        for (w, h), box in cases:
            out = img.resize((w, h), resample, box=tuple(box))
            fname = 'pilbox_a_%s_%dx%d_%d_%d_%d_%d.png' % ((method, w, h) + tuple(box))
            save_png(out, fname)
            manifest['resize_box'].append({'src': 'src_a.png', 'method': method, 'width': w,
                                           'height': h, 'box': box, 'out': fname})


def gif_offset_frame(img, screen, offset, **kw):
    """A GIF whose first frame is smaller than the logical screen (PIL never
    writes one): save img, then patch the screen size and the frame's offset."""
    buf = io.BytesIO()
    img.save(buf, 'GIF', **kw)
    data = bytearray(buf.getvalue())
    data[6:10] = screen[0].to_bytes(2, 'little') + screen[1].to_bytes(2, 'little')
    p = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while data[p] == 0x21:  # skip extensions
        p += 2
        while data[p]:
            p += data[p] + 1
        p += 1
    assert data[p] == 0x2c
    data[p + 1:p + 5] = offset[0].to_bytes(2, 'little') + offset[1].to_bytes(2, 'little')
    return bytes(data)


def format_refs(srcs, rng, manifest):
    """One file per format and mode, and what PIL's convert('RGB') makes of it."""
    base = srcs['a']
    files = {}
    for sub in [0, 1, 2]:  # 4:4:4, 4:2:2, 4:2:0
        buf = io.BytesIO()
        base.save(buf, 'JPEG', quality=90, subsampling=sub)
        files['fmt_jpeg_sub%d.jpg' % sub] = buf.getvalue()
    buf = io.BytesIO()
    base.convert('L').save(buf, 'JPEG', quality=90)
    files['fmt_jpeg_grey.jpg'] = buf.getvalue()
    # Restart markers every MCU row, and an arithmetic-free optimised Huffman
    # table: what cameras and cjpeg write but PIL's encoder does not.
    ppm = io.BytesIO()
    base.save(ppm, 'PPM')
    for name, args in [('fmt_jpeg_restart.jpg', ['-restart', '1', '-quality', '85']),
                       ('fmt_jpeg_restart_blocks.jpg', ['-restart', '3b', '-sample', '2x1', '-optimize']),
                       ('fmt_jpeg_cjpeg_progressive.jpg', ['-progressive', '-quality', '70'])]:
        files[name] = subprocess.run(['cjpeg'] + args, input=ppm.getvalue(), check=True,
                                     capture_output=True).stdout
    buf = io.BytesIO()
    base.convert('CMYK').save(buf, 'JPEG', quality=90)  # Adobe CMYK, as print workflows write
    files['fmt_jpeg_cmyk.jpg'] = buf.getvalue()
    for name, img, q, sub in [('c_q50_420', srcs['c'], 50, 2), ('b_q75_422', srcs['b'], 75, 1),
                              ('c_q100_444', srcs['c'], 100, 0)]:
        buf = io.BytesIO()
        img.save(buf, 'JPEG', quality=q, subsampling=sub)
        files['fmt_jpeg_%s.jpg' % name] = buf.getvalue()
    buf = io.BytesIO()
    base.save(buf, 'JPEG', quality=85, progressive=True)
    files['fmt_jpeg_progressive.jpg'] = buf.getvalue()

    rgba = base.copy()
    rgba.putalpha(Image.fromarray(rng.randint(0, 256, (base.height, base.width)).astype(np.uint8)))
    for mode, img in {'rgb': base, 'rgba': rgba, 'l': base.convert('L'),
                      'la': rgba.convert('LA'), 'p': base.quantize(37)}.items():
        buf = io.BytesIO()
        img.save(buf, 'PNG')
        files['fmt_png_%s.png' % mode] = buf.getvalue()
    ptrans = base.quantize(16)
    buf = io.BytesIO()
    ptrans.save(buf, 'PNG', transparency=3)
    files['fmt_png_p_trns.png'] = buf.getvalue()
    g16 = (np.arange(base.width * base.height).reshape(base.height, base.width) * 7 % 600).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(g16.astype(np.int32), 'I').save(buf, 'PNG')  # 16-bit grey
    files['fmt_png_grey16.png'] = buf.getvalue()

    for name, img, kw in [('fmt_gif.gif', base.quantize(64), {}),
                          ('fmt_gif_trns.gif', base.quantize(64), {'transparency': 5})]:
        buf = io.BytesIO()
        img.save(buf, 'GIF', **kw)
        files[name] = buf.getvalue()
    small = srcs['c'].quantize(16)  # 23 x 31
    files['fmt_gif_offset.gif'] = gif_offset_frame(small, (40, 50), (5, 9))
    files['fmt_gif_offset_trns.gif'] = gif_offset_frame(small, (30, 45), (4, 2), transparency=7)
    buf = io.BytesIO()
    base.save(buf, 'BMP')
    files['fmt_bmp.bmp'] = buf.getvalue()
    buf = io.BytesIO()
    base.save(buf, 'WEBP', lossless=True)
    files['fmt_webp_lossless.webp'] = buf.getvalue()
    buf = io.BytesIO()
    base.save(buf, 'WEBP', quality=90)
    files['fmt_webp_lossy.webp'] = buf.getvalue()
    buf = io.BytesIO()
    srcs['b'].save(buf, 'WEBP', quality=60)  # even width and height
    files['fmt_webp_lossy_even.webp'] = buf.getvalue()
    buf = io.BytesIO()
    rgba.save(buf, 'WEBP', quality=80)  # lossy with alpha
    files['fmt_webp_lossy_alpha.webp'] = buf.getvalue()

    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        if name.endswith('.jpg'):
            # TensorFlow's decode_jpeg defaults to libjpeg's fast integer IDCT;
            # djpeg (libjpeg-turbo-progs) decodes the same way with -dct fast.
            ppm = subprocess.run(['djpeg', '-dct', 'fast', '-pnm', os.path.join(OUT, name)],
                                 check=True, capture_output=True).stdout
            ref = name.rsplit('.', 1)[0] + '.ifast.png'
            save_png(Image.open(io.BytesIO(ppm)).convert('RGB'), ref)
            manifest['decode_ifast'].append({'file': name, 'rgb': ref})
        img = Image.open(io.BytesIO(data))
        mode = img.mode
        rgb = img.convert('RGB')
        ref = name.rsplit('.', 1)[0] + '.rgb.png'
        save_png(rgb, ref)
        manifest['decode'].append({'file': name, 'pil_mode': mode, 'rgb': ref})


def augment_refs(srcs, manifest):
    """apply_transform with fixed parameters, one per fill mode and operation."""
    from keras_preprocessing.image import ImageDataGenerator, img_to_array
    x = img_to_array(srcs['c'])  # 31 x 23
    cases = [
        ('rot30_nearest', dict(fill_mode='nearest'), dict(theta=30)),
        ('rot30_constant', dict(fill_mode='constant', cval=77.5), dict(theta=30)),
        ('rot30_reflect', dict(fill_mode='reflect'), dict(theta=30)),
        ('rot30_wrap', dict(fill_mode='wrap'), dict(theta=30)),
        ('shift_reflect', dict(fill_mode='reflect'), dict(tx=5.5, ty=-7.25)),
        ('shift_wrap', dict(fill_mode='wrap'), dict(tx=-9.3, ty=13.1)),
        ('zoom_constant', dict(fill_mode='constant'), dict(zx=1.3, zy=0.7)),
        ('shear_nearest', dict(fill_mode='nearest'), dict(shear=20)),
        ('all_nearest', dict(fill_mode='nearest'),
         dict(theta=-17, tx=3, ty=-2, shear=8, zx=0.9, zy=1.15, flip_horizontal=True,
              flip_vertical=True, channel_shift_intensity=-31.7, brightness=0.6)),
        ('brightness_up', dict(), dict(brightness=1.7)),
        ('channel_shift', dict(), dict(channel_shift_intensity=40.2)),
    ]
    h, w = x.shape[:2]
    f32(x, 'aug_src_c.f32')
    for name, kw in [('samplewise_center', dict(samplewise_center=True)),
                     ('samplewise_both', dict(samplewise_center=True, samplewise_std_normalization=True,
                                              rescale=1 / 255.0)),
                     ('samplewise_std', dict(samplewise_std_normalization=True))]:
        with warnings.catch_warnings():  # std normalisation implies centring: Keras says so
            warnings.simplefilter('ignore')
            out = ImageDataGenerator(**kw).standardize(x.copy())
        f32(out, 'std_%s.f32' % name)
        manifest['standardize'].append({'name': name, 'generator': kw, 'height': h, 'width': w,
                                        'out': 'std_%s.f32' % name})
    for name, gen_kw, params in cases:
        gen = ImageDataGenerator(**gen_kw)
        out = gen.apply_transform(x.copy(), params)
        f32(out, 'aug_%s.f32' % name)
        manifest['augment'].append({'name': name, 'generator': gen_kw, 'params': params,
                                    'height': h, 'width': w, 'out': 'aug_%s.f32' % name})


def random_transform_refs(manifest):
    """get_random_transform's draws for every kind of range, from np.random.seed."""
    from keras_preprocessing.image import ImageDataGenerator
    gens = {
        'floats': dict(rotation_range=33, width_shift_range=0.2, height_shift_range=7.5, shear_range=12,
                       zoom_range=[0.7, 1.1], horizontal_flip=True, vertical_flip=True,
                       channel_shift_range=15, brightness_range=[0.5, 1.5]),
        'int_shifts': dict(width_shift_range=5, height_shift_range=1, horizontal_flip=True),
        'list_shifts': dict(width_shift_range=[0.1, 0.25, 0.5], height_shift_range=[3, 8]),
    }
    for name, kw in gens.items():
        gen = ImageDataGenerator(**kw)
        np.random.seed(2024)
        draws = [gen.get_random_transform((30, 40, 3)) for _ in range(25)]
        for d in draws:
            for k, v in list(d.items()):
                if v is None:
                    del d[k]
                elif isinstance(v, (bool, np.bool_)):
                    d[k] = bool(v)
                else:
                    d[k] = float(v)
        manifest['random_transform'].append({'name': name, 'generator': kw, 'seed': 2024,
                                             'shape': [30, 40, 3], 'draws': draws})


def flow_refs(rng, manifest):
    """flow_from_directory end to end: listing, split, per-batch seeding,
    shuffling, random augmentation, labels."""
    from keras_preprocessing.image import ImageDataGenerator
    root = os.path.join(OUT, 'flow')
    shutil.rmtree(root, ignore_errors=True)
    names = {'cat': ['c1.png', 'c10.png', 'c2.png', 'sub/c3.png', 'x.JPG', 'notes.txt'],
             'dog': ['d1.png', 'd2.png', 'd3.bmp', 'd4.png'],
             'eel': ['e1.png', 'e2.png', 'e3.png']}
    for cls, files in names.items():
        for f in files:
            p = os.path.join(root, cls, f)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if f.endswith('.txt'):
                open(p, 'w').write('not an image\n')
                continue
            w, h = rng.randint(9, 21), rng.randint(9, 21)
            img = Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8))
            img.save(p, quality=95) if f.endswith('.JPG') else img.save(p)
    runs = [
        ('all', dict(), dict()),
        ('train', dict(validation_split=0.34), dict(subset='training')),
        ('val', dict(validation_split=0.34), dict(subset='validation')),
    ]
    aug = dict(rotation_range=25, width_shift_range=0.1, height_shift_range=0.15, shear_range=10,
               zoom_range=0.2, horizontal_flip=True, vertical_flip=True, channel_shift_range=20,
               brightness_range=(0.7, 1.3), fill_mode='reflect', rescale=1 / 255.0)
    for name, gen_kw, flow_kw in runs:
        gen = ImageDataGenerator(**aug, **gen_kw)
        it = gen.flow_from_directory(root, target_size=(12, 10), batch_size=4, seed=1234,
                                     class_mode='categorical', interpolation='bilinear', **flow_kw)
        batches = []
        for b in range(2 * len(it)):  # two epochs
            x, y = next(it)
            fx = 'flow_%s_batch%d.f32' % (name, b)
            f32(x, fx)
            batches.append({'x': fx, 'y': y.tolist(), 'n': int(x.shape[0])})
        manifest['flow'].append({'name': name, 'validation_split': gen_kw.get('validation_split', 0),
                                 'subset': flow_kw.get('subset', ''),
                                 'filenames': it.filenames, 'classes': it.classes.tolist(),
                                 'batches': batches})
    manifest['flow_options'] = dict(aug, target_size=[12, 10], batch_size=4, seed=1234,
                                    interpolation='bilinear')


def shuffle_refs(manifest):
    """image_dataset_from_directory's shuffle: RandomState(seed).shuffle(list)."""
    for seed, n in [(0, 10), (1337, 57), (999999, 3)]:
        x = list(range(n))
        np.random.RandomState(seed).shuffle(x)
        manifest['shuffle'].append({'seed': seed, 'n': n, 'order': x})


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        p = os.path.join(OUT, f)
        if os.path.isfile(p):
            os.remove(p)
    rng = np.random.RandomState(0)
    manifest = {'pil': Image.__version__, 'numpy': np.__version__,
                'resize': [], 'resize_box': [], 'decode': [], 'decode_ifast': [], 'augment': [], 'standardize': [], 'flow': [], 'shuffle': [], 'random_transform': []}
    import scipy
    manifest['scipy'] = scipy.__version__
    srcs = sources(rng)
    resize_refs(srcs, manifest)
    box_refs(srcs, manifest)
    format_refs(srcs, rng, manifest)
    augment_refs(srcs, manifest)
    random_transform_refs(manifest)
    flow_refs(rng, manifest)
    shuffle_refs(manifest)
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
