/* Decodes a rectangle of a JPEG through the system's libjpeg (libjpeg-turbo's libjpeg API), for ImageStash's JPEG
 * codec. libjpeg reports errors by calling error_exit, which must not return; a longjmp cannot cross .NET frames,
 * so every libjpeg call happens here, under setjmp, and the caller gets a status code and a message instead.
 * Built by src/ImageStash/ImageStash.csproj (target BuildJpegRegionShim) with: gcc -O2 -shared -fPIC ... -ljpeg */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

/* Status codes: keep in step with JpegRegion.cs. */
#define ISJ_OK 0
#define ISJ_CORRUPT 1       /* libjpeg reported an error or a warning (damaged or truncated data) */
#define ISJ_TOO_MANY_SCANS 2 /* a progressive file with more scans than allowed (a decompression bomb) */
#define ISJ_UNSUPPORTED 3   /* CMYK/YCCK, which this path does not turn into RGB; the caller decodes another way */
#define ISJ_BAD_ARGUMENT 4  /* region outside the scaled image, or an unknown scale or channel count */

struct isj_error {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  int status;
  char *message;
  int message_size;
};

struct isj_progress {
  struct jpeg_progress_mgr base;
  int max_scans;
};

static void isj_fail(j_common_ptr cinfo, int status) {
  struct isj_error *err = (struct isj_error *)cinfo->err;
  if (err->message_size > 0) {
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    snprintf(err->message, (size_t)err->message_size, "%s", buffer);
  }
  err->status = status;
  longjmp(err->jump, 1);
}

static void isj_error_exit(j_common_ptr cinfo) { isj_fail(cinfo, ISJ_CORRUPT); }

/* Warnings (level -1: corrupt data that libjpeg would paper over) fail the decode: a partial image is never passed
 * on, as with TurboJPEG's TJFLAG_STOPONWARNING. Trace messages (level >= 0) are ignored. */
static void isj_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) isj_fail(cinfo, ISJ_CORRUPT);
}

static void isj_output_message(j_common_ptr cinfo) { (void)cinfo; }

/* The same guard as TurboJPEG's TJFLAG_LIMITSCANS: a progressive file can hold thousands of tiny scans, each a
 * pass over the whole coefficient buffer. */
static void isj_progress_monitor(j_common_ptr cinfo) {
  struct isj_progress *progress = (struct isj_progress *)cinfo->progress;
  j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
  /* A sequential file has one scan per component group at most, so counting every file's scans is safe. */
  if (cinfo->is_decompressor && dinfo->input_scan_number > progress->max_scans) {
    struct isj_error *err = (struct isj_error *)cinfo->err;
    if (err->message_size > 0)
      snprintf(err->message, (size_t)err->message_size, "more than %d progressive scans", progress->max_scans);
    err->status = ISJ_TOO_MANY_SCANS;
    longjmp(err->jump, 1);
  }
}

/* The ABI version of this file, so the managed side can refuse a stale build. */
int isj_version(void) { return 1; }

/*
 * Decodes the rectangle (x, y, width x height) of the image scaled by 1/scale (scale 1, 2, 4 or 8; coordinates in
 * the scaled image, sides rounded up as libjpeg does) into out: width x height x channels bytes, row-major, with
 * channels 1 (grey), 3 (RGB) or 4 (RGBA, opaque). Rows above the rectangle are skipped (still entropy-decoded),
 * columns are cropped to the iMCU boundary at or left of x and the extra columns dropped, and decoding stops after
 * the last row. Returns ISJ_OK or a status code with a message in message.
 */
int isj_decode_region(const unsigned char *data, unsigned long size, int scale, int x, int y, int width, int height,
                      int channels, unsigned char *out, int max_scans, char *message, int message_size) {
  struct jpeg_decompress_struct cinfo;
  struct isj_error err;
  struct isj_progress progress;
  /* volatile: read after a longjmp back into this frame. */
  volatile int created = 0;

  if (message_size > 0) message[0] = '\0';
  if (!(scale == 1 || scale == 2 || scale == 4 || scale == 8) || !(channels == 1 || channels == 3 || channels == 4) ||
      x < 0 || y < 0 || width <= 0 || height <= 0 || data == NULL || out == NULL) {
    if (message_size > 0) snprintf(message, (size_t)message_size, "bad arguments");
    return ISJ_BAD_ARGUMENT;
  }
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = isj_error_exit;
  err.base.emit_message = isj_emit_message;
  err.base.output_message = isj_output_message;
  err.status = ISJ_OK;
  err.message = message;
  err.message_size = message_size;
  if (setjmp(err.jump)) {
    if (created) jpeg_destroy_decompress(&cinfo);
    return err.status;
  }
  jpeg_create_decompress(&cinfo);
  created = 1;
  progress.base.progress_monitor = isj_progress_monitor;
  progress.max_scans = max_scans > 0 ? max_scans : 500;
  cinfo.progress = &progress.base;
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    if (message_size > 0) snprintf(message, (size_t)message_size, "CMYK/YCCK JPEG");
    jpeg_destroy_decompress(&cinfo);
    return ISJ_UNSUPPORTED;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = (unsigned int)scale;
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_EXT_RGBA;
  jpeg_start_decompress(&cinfo);
  if ((unsigned long)x + (unsigned long)width > cinfo.output_width ||
      (unsigned long)y + (unsigned long)height > cinfo.output_height) {
    if (message_size > 0)
      snprintf(message, (size_t)message_size, "region %d,%d %dx%d outside the %ux%u image", x, y, width, height,
               cinfo.output_width, cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    return ISJ_BAD_ARGUMENT;
  }
  JDIMENSION left = (JDIMENSION)x, columns = (JDIMENSION)width;
  if (columns < cinfo.output_width) jpeg_crop_scanline(&cinfo, &left, &columns);
  JDIMENSION skip = (JDIMENSION)y;
  while (skip > 0) {
    JDIMENSION skipped = jpeg_skip_scanlines(&cinfo, skip);
    if (skipped == 0) isj_fail((j_common_ptr)&cinfo, ISJ_CORRUPT);
    skip -= skipped;
  }
  size_t outRow = (size_t)width * (size_t)channels;
  size_t drop = (size_t)((JDIMENSION)x - left) * (size_t)channels;
  /* Several rows per call, as TurboJPEG reads them: one call per row decoded regions about 2.5 % slower
   * (benchmarks/results/2026-12-03-crop-quiet/ab-shim-rows-streaming-stores.md). */
  enum { CHUNK = 16 };
  JSAMPROW rows[CHUNK];
  JSAMPARRAY cropped = NULL;
  if (left != (JDIMENSION)x || columns != (JDIMENSION)width)
    cropped = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, columns * (JDIMENSION)channels, CHUNK);
  for (int r = 0; r < height;) {
    JDIMENSION wanted = (JDIMENSION)(height - r < CHUNK ? height - r : CHUNK);
    if (cropped == NULL)
      for (JDIMENSION i = 0; i < wanted; i++) rows[i] = (JSAMPROW)(out + (size_t)(r + (int)i) * outRow);
    JDIMENSION got = jpeg_read_scanlines(&cinfo, cropped != NULL ? cropped : rows, wanted);
    if (got == 0) isj_fail((j_common_ptr)&cinfo, ISJ_CORRUPT);
    if (cropped != NULL)
      for (JDIMENSION i = 0; i < got; i++) memcpy(out + (size_t)(r + (int)i) * outRow, cropped[i] + drop, outRow);
    r += (int)got;
  }
  /* Rows below the rectangle are never decoded: abort instead of finishing. */
  jpeg_destroy_decompress(&cinfo);
  return ISJ_OK;
}
