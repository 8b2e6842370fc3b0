//! A small RGB raster canvas for [`super::png_plot`]: pixels, filled rectangles, Bresenham
//! lines (solid or dashed) and 5×7 bitmap text, horizontal or rotated to read upwards.

use super::font5x7::{pixel, GLYPH_H, GLYPH_W};
use super::png_plot::Rgb;

/// Text scale: each font pixel is a SCALE×SCALE block.
pub const SCALE: u32 = 2;
pub const ADVANCE: i64 = ((GLYPH_W + 1) * SCALE) as i64;
pub const TEXT_H: i64 = (GLYPH_H * SCALE) as i64;

pub struct Canvas {
    pub w: i64,
    pub h: i64,
    pub px: Vec<u8>,
}

impl Canvas {
    /// A white canvas.
    pub fn new(w: u32, h: u32) -> Self {
        Self {
            w: w as i64,
            h: h as i64,
            px: [255u8, 255, 255].repeat(w as usize * h as usize),
        }
    }

    pub fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && x < self.w && y < self.h {
            let i = ((y * self.w + x) * 3) as usize;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    pub fn fill(&mut self, x: i64, y: i64, w: i64, h: i64, c: Rgb) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    /// Bresenham; `thick` 2 draws a 2×2 pen. `dash` > 0 leaves every other run of that length.
    pub fn line(
        &mut self,
        (x0, y0): (i64, i64),
        (x1, y1): (i64, i64),
        c: Rgb,
        thick: i64,
        dash: i64,
    ) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err, mut n) = (x0, y0, dx + dy, 0i64);
        loop {
            if dash == 0 || (n / dash) % 2 == 0 {
                self.fill(x, y, thick, thick, c);
            }
            n += 1;
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Text with its top-left corner at (x, y); `up` draws it rotated to read bottom-to-top
    /// starting at (x, y) as the bottom-left corner.
    pub fn text(&mut self, x: i64, y: i64, s: &str, c: Rgb, up: bool) {
        let s_px = SCALE as i64;
        for (i, ch) in s.chars().enumerate() {
            let base = i as i64 * ADVANCE;
            for col in 0..GLYPH_W {
                for row in 0..GLYPH_H {
                    if !pixel(ch, col, row) {
                        continue;
                    }
                    let (gx, gy) = ((base + col as i64 * s_px), row as i64 * s_px);
                    if up {
                        self.fill(x + gy, y - gx - s_px, s_px, s_px, c);
                    } else {
                        self.fill(x + gx, y + gy, s_px, s_px, c);
                    }
                }
            }
        }
    }
}

/// Width in pixels of `s` drawn by [`Canvas::text`].
pub fn text_width(s: &str) -> i64 {
    s.chars().count() as i64 * ADVANCE - SCALE as i64
}
